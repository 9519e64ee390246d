// /insights/:insightId: one insight with its drill-down filters. Changing a filter reads
// the insight again with it (after a pause in typing), for this visit only, until it is
// saved as the view's default or as a new view.
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react'
import { useMemo, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { useDebounced } from '../components/useDebounced'
import type { InsightViewControlsInput, InsightViewDefinitionQuery, SeriesSortDirection, SeriesSortMode } from '../graphql/graphql'
import { DASHBOARDS, SAVE_AS_NEW_VIEW, SEARCH_CONTEXTS, UPDATE_LINE_CHART, VIEW_DEFINITION } from './backend'
import { controlsOf } from './CreatePages'
import { modelOf, updateLineInput } from './definition'
import { InsightCard } from './InsightCard'
import './insights.css'

interface Controls {
  include: string
  exclude: string
  context: string
  mode: SeriesSortMode
  direction: SeriesSortDirection
  limit: number
  samples: number
}

const DEFAULT_LIMIT = 20
const DEFAULT_SAMPLES = 90

function controlsFrom(c: InsightViewControlsInput): Controls {
  const so = c.seriesDisplayOptions.sortOptions
  return {
    include: c.filters.includeRepoRegex ?? '',
    exclude: c.filters.excludeRepoRegex ?? '',
    context: c.filters.searchContexts?.[0] ?? '',
    mode: so?.mode ?? 'RESULT_COUNT',
    direction: so?.direction ?? 'DESC',
    limit: c.seriesDisplayOptions.limit ?? DEFAULT_LIMIT,
    samples: c.seriesDisplayOptions.numSamples ?? DEFAULT_SAMPLES,
  }
}

function inputFrom(c: Controls): InsightViewControlsInput {
  return {
    filters: { includeRepoRegex: c.include.trim(), excludeRepoRegex: c.exclude.trim(), searchContexts: c.context ? [c.context] : [] },
    seriesDisplayOptions: { sortOptions: { mode: c.mode, direction: c.direction }, limit: c.limit, numSamples: c.samples },
  }
}

export function InsightPage() {
  const { insightId = '' } = useParams()
  const { data, loading, error } = useQuery(VIEW_DEFINITION, { variables: { id: insightId } })
  const view = data?.insightViews.nodes[0]
  if (loading && !data) return <Loading what="Loading the insight" />
  if (error) {
    return (
      <Page title="Insight">
        <ErrorAlert error={error} />
      </Page>
    )
  }
  if (!view) return <NotFound what="insight" />
  return <InsightWithFilters key={view.id} view={view} />
}

type View = NonNullable<InsightViewDefinitionQuery['insightViews']['nodes'][number]>

function InsightWithFilters({ view }: { view: View }) {
  const pie = view.presentation.__typename === 'PieChartInsightViewPresentation'
  const saved = useMemo(() => controlsFrom(controlsOf(view)), [view])
  const [controls, setControls] = useState(saved)
  const settled = useDebounced(controls, 500)
  const applied = useMemo(() => inputFrom(settled), [settled])
  const active = JSON.stringify(controls) !== JSON.stringify(saved)
  const set = (patch: Partial<Controls>) => setControls((c) => ({ ...c, ...patch }))
  const title = view.presentation.title
  return (
    <Page
      title={title}
      actions={
        view.viewerCanEdit && !view.isFrozen ? (
          <Link className="btn" to={`/insights/${encodeURIComponent(view.id)}/edit`}>
            Edit
          </Link>
        ) : null
      }
    >
      <p>
        <Link to="/insights">Dashboards</Link>
      </p>
      {pie ? (
        <InsightCard id={view.id} standalone />
      ) : (
        <div className="filters-layout">
          <FiltersPanel view={view} controls={controls} active={active} set={set} reset={() => setControls(saved)} saved={saved} />
          <InsightCard id={view.id} standalone filters={applied.filters} displayOptions={applied.seriesDisplayOptions} />
        </div>
      )}
    </Page>
  )
}

function FiltersPanel({
  view,
  controls,
  active,
  set,
  reset,
  saved,
}: {
  view: View
  controls: Controls
  active: boolean
  set: (p: Partial<Controls>) => void
  reset: () => void
  saved: Controls
}) {
  const navigate = useNavigate()
  const client = useApolloClient()
  const contexts = useQuery(SEARCH_CONTEXTS, { variables: {} })
  const dashboards = useQuery(DASHBOARDS)
  const [update, updating] = useMutation(UPDATE_LINE_CHART)
  const [saveAs, savingAs] = useMutation(SAVE_AS_NEW_VIEW)
  const [newTitle, setNewTitle] = useState('')
  const [newDashboard, setNewDashboard] = useState('')
  const [message, setMessage] = useState('')
  const canSave = view.viewerCanEdit && !view.isFrozen
  return (
    <aside className="filters-panel" aria-labelledby="filters-heading">
      <h2 id="filters-heading" className={active ? 'active-dot' : undefined}>
        Filters{active ? <span className="visually-hidden"> (changed, not saved)</span> : null}
      </h2>
      <div className="form">
        <label>
          Include repositories (regexp)
          <input className="mono" value={controls.include} onChange={(e) => set({ include: e.target.value })} placeholder="^github\.com/acme/" spellCheck={false} />
        </label>
        <label>
          Exclude repositories (regexp)
          <input className="mono" value={controls.exclude} onChange={(e) => set({ exclude: e.target.value })} placeholder="-archive$" spellCheck={false} />
        </label>
        <label>
          Search context
          <select value={controls.context} onChange={(e) => set({ context: e.target.value })}>
            <option value="">None</option>
            {(contexts.data?.searchContexts.nodes ?? []).map((c) => (
              <option key={c.id} value={c.spec}>
                {c.spec}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Series</legend>
          <label>
            Sort by
            <select value={controls.mode} onChange={(e) => set({ mode: e.target.value as SeriesSortMode })}>
              <option value="RESULT_COUNT">Result count (newest point)</option>
              <option value="LEXICOGRAPHICAL">Name</option>
              <option value="DATE_ADDED">Date added</option>
            </select>
          </label>
          <label>
            Order
            <select value={controls.direction} onChange={(e) => set({ direction: e.target.value as SeriesSortDirection })}>
              <option value="DESC">Descending</option>
              <option value="ASC">Ascending</option>
            </select>
          </label>
          <label>
            Number of series shown
            <input type="number" min={1} max={20} value={controls.limit} onChange={(e) => set({ limit: Math.min(20, Math.max(1, Number(e.target.value) || 1)) })} />
          </label>
          <label>
            Points shown
            <input type="number" min={1} max={90} value={controls.samples} onChange={(e) => set({ samples: Math.min(90, Math.max(1, Number(e.target.value) || 1)) })} />
          </label>
        </fieldset>
        <div className="form-actions">
          <button type="button" className="btn btn-small" disabled={!active} onClick={reset}>
            Reset
          </button>
          {canSave ? (
            <button
              type="button"
              className="btn btn-small"
              disabled={!active || updating.loading}
              onClick={() =>
                void update({ variables: { id: view.id, input: updateLineInput(modelOf(view), inputFrom(controls)) } }).then(async () => {
                  await client.refetchQueries({ include: ['InsightViewDefinition'] })
                  setMessage('Saved as this insight’s default filters.')
                }, () => undefined)
              }
            >
              Save as default filters
            </button>
          ) : null}
        </div>
        {JSON.stringify(saved) === JSON.stringify(controls) ? null : <p className="hint">These filters apply to this page until you save them.</p>}
        <fieldset>
          <legend>Save as new view</legend>
          <label>
            Title of the new view
            <input value={newTitle} onChange={(e) => setNewTitle(e.target.value)} placeholder={`${view.presentation.title} (filtered)`} />
          </label>
          <label>
            Add to dashboard
            <select value={newDashboard} onChange={(e) => setNewDashboard(e.target.value)}>
              <option value="">No dashboard</option>
              {(dashboards.data?.insightsDashboards.nodes ?? [])
                .filter((d) => d.viewerCanEdit)
                .map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.title}
                  </option>
                ))}
            </select>
          </label>
          <button
            type="button"
            className="btn btn-small"
            disabled={savingAs.loading || !newTitle.trim()}
            onClick={() =>
              void saveAs({
                variables: { input: { insightViewId: view.id, options: { title: newTitle.trim() }, dashboard: newDashboard || undefined, viewControls: inputFrom(controls) } },
              }).then(async (r) => {
                const id = r.data?.saveInsightAsNewView.view.id
                await client.refetchQueries({ include: ['InsightViewTitles', 'InsightsDashboardViews'] })
                if (id) void navigate(newDashboard ? `/insights/dashboards/${encodeURIComponent(newDashboard)}` : `/insights/${encodeURIComponent(id)}`)
              }, () => undefined)
            }
          >
            Save as new view
          </button>
        </fieldset>
        <p role="status">{message}</p>
        <ErrorAlert error={updating.error ?? savingAs.error} />
      </div>
    </aside>
  )
}
