// /insights/create (choose a kind), /insights/create/:kind and /insights/:insightId/edit.
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import type { InsightViewControlsInput, InsightViewDefinitionQuery } from '../graphql/graphql'
import { CREATE_LINE_CHART, CREATE_PIE_CHART, UPDATE_LINE_CHART, UPDATE_PIE_CHART, VIEW_DEFINITION } from './backend'
import { createLineInput, modelOf, newModel, pieInput, scopeInput, updateLineInput, type InsightKind, type InsightModel } from './definition'
import { InsightForm, kindNames } from './InsightForm'
import './insights.css'

const kinds: { kind: InsightKind; what: string }[] = [
  { kind: 'search', what: 'Count the results of one or more searches over time: a migration, a deprecated API, TODOs.' },
  { kind: 'capture-group', what: 'One series per value a regular expression captures: versions, licenses, configuration values.' },
  { kind: 'lang-stats', what: 'The languages of repositories, by lines of code, as a pie chart.' },
  { kind: 'group-results', what: 'Today’s results grouped by repository, language, path, author or date.' },
]

function isKind(k: string | undefined): k is InsightKind {
  return kinds.some((c) => c.kind === k)
}

export function CreateInsightChooser() {
  const [params] = useSearchParams()
  const suffix = params.get('dashboardId') ? `?dashboardId=${encodeURIComponent(params.get('dashboardId') ?? '')}` : ''
  return (
    <Page title="Create an insight">
      <ul className="type-cards" aria-label="Kinds of insight">
        {kinds.map((k) => (
          <li key={k.kind}>
            <h2>
              <Link to={`/insights/create/${k.kind}${suffix}`}>{kindNames[k.kind]}</Link>
            </h2>
            <p className="muted">{k.what}</p>
          </li>
        ))}
      </ul>
    </Page>
  )
}

export function CreateInsightPage() {
  const { kind } = useParams()
  const [params] = useSearchParams()
  const dashboardId = params.get('dashboardId')
  const navigate = useNavigate()
  const client = useApolloClient()
  const [createLine, line] = useMutation(CREATE_LINE_CHART)
  const [createPie, pie] = useMutation(CREATE_PIE_CHART)
  if (!isKind(kind)) return <NotFound what="kind of insight" />
  const dashboards = dashboardId ? [dashboardId] : []
  const done = async (id: string | undefined) => {
    await client.refetchQueries({ include: ['InsightsDashboardViews', 'InsightViewTitles'] })
    if (id) void navigate(dashboardId ? `/insights/dashboards/${encodeURIComponent(dashboardId)}` : `/insights/${encodeURIComponent(id)}`)
  }
  const submit = (m: InsightModel) => {
    if (m.kind === 'lang-stats') {
      void createPie({ variables: { input: pieInput(m, dashboards) } }).then((r) => done(r.data?.createPieChartSearchInsight.view.id), () => undefined)
    } else {
      void createLine({ variables: { input: createLineInput(m, dashboards) } }).then((r) => done(r.data?.createLineChartSearchInsight.view.id), () => undefined)
    }
  }
  return (
    <Page title={`Create a ${kindNames[kind].toLowerCase()}`}>
      <InsightForm
        key={kind}
        initial={newModel(kind)}
        submitLabel="Create insight"
        cancelTo={dashboardId ? `/insights/dashboards/${encodeURIComponent(dashboardId)}` : '/insights'}
        onSubmit={submit}
        submitError={line.error ?? pie.error}
        submitting={line.loading || pie.loading}
      />
    </Page>
  )
}

type Definition = NonNullable<InsightViewDefinitionQuery['insightViews']['nodes'][number]>

/** A view's saved filters and display options, as the update mutation takes them back. */
export function controlsOf(v: Pick<Definition, 'defaultFilters' | 'defaultSeriesDisplayOptions'>): InsightViewControlsInput {
  const f = v.defaultFilters
  const d = v.defaultSeriesDisplayOptions
  return {
    filters: { includeRepoRegex: f.includeRepoRegex ?? '', excludeRepoRegex: f.excludeRepoRegex ?? '', searchContexts: f.searchContexts ?? [] },
    seriesDisplayOptions: {
      sortOptions: d.sortOptions.mode && d.sortOptions.direction ? { mode: d.sortOptions.mode, direction: d.sortOptions.direction } : undefined,
      limit: d.limit ?? undefined,
      numSamples: d.numSamples ?? undefined,
    },
  }
}

export function EditInsightPage() {
  const { insightId = '' } = useParams()
  const navigate = useNavigate()
  const client = useApolloClient()
  const { data, loading, error } = useQuery(VIEW_DEFINITION, { variables: { id: insightId }, fetchPolicy: 'network-only' })
  const [updateLine, line] = useMutation(UPDATE_LINE_CHART)
  const [updatePie, pie] = useMutation(UPDATE_PIE_CHART)
  const view = data?.insightViews.nodes[0]
  if (loading && !data) return <Loading what="Loading the insight" />
  if (error) {
    return (
      <Page title="Edit insight">
        <ErrorAlert error={error} />
      </Page>
    )
  }
  if (!view) return <NotFound what="insight" />
  const done = async () => {
    await client.refetchQueries({ include: ['InsightView', 'InsightViewTitles'] })
    void navigate(`/insights/${encodeURIComponent(view.id)}`)
  }
  const submit = (m: InsightModel) => {
    if (m.kind === 'lang-stats') {
      const input = { query: '', repositoryScope: scopeInput(m.scope), presentationOptions: { title: m.title.trim(), otherThreshold: m.otherThreshold / 100 } }
      void updatePie({ variables: { id: view.id, input } }).then(done, () => undefined)
    } else {
      void updateLine({ variables: { id: view.id, input: updateLineInput(m, controlsOf(view)) } }).then(done, () => undefined)
    }
  }
  const model = modelOf(view)
  return (
    <Page title={`Edit ${model.title}`}>
      {!view.viewerCanEdit || view.isFrozen ? (
        <p className="alert alert-warning">
          {view.isFrozen ? 'This insight is frozen: it cannot be changed.' : 'This insight is shared with you read-only; save a copy from its page to change it.'}
        </p>
      ) : null}
      <p className="muted">Changing a series' query, interval or repositories computes it again from the start.</p>
      <InsightForm
        initial={model}
        submitLabel="Save"
        cancelTo={`/insights/${encodeURIComponent(view.id)}`}
        onSubmit={submit}
        submitError={line.error ?? pie.error}
        submitting={line.loading || pie.loading}
      />
    </Page>
  )
}
