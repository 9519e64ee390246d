// The create and edit form of every kind of insight, with the live preview the API
// computes (a few points over at most 20 repositories) next to it.
import { useQuery } from '@apollo/client/react'
import { useId, useMemo, useState, type FormEvent, type ReactNode } from 'react'
import { Link } from 'react-router'
import { LineChart, PieChart } from '../components/charts'
import { colorAt } from '../components/charts/format'
import { errorCode, ErrorAlert, errorMessage } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { RepositoryNamesField } from '../components/RepositoryNamesField'
import { useDebounced } from '../components/useDebounced'
import type { GroupByField, TimeIntervalStepUnit } from '../graphql/graphql'
import { LANGUAGES_PREVIEW, SEARCH_CONTEXTS, SEARCH_INSIGHT_PREVIEW, VALIDATE_SCOPE, VALIDATE_SERIES_QUERY } from './backend'
import {
  captureGroupChecks,
  MAX_SERIES,
  parseRepositories,
  previewInput,
  problems,
  scopeQuery,
  type InsightModel,
  type Problem,
  type ScopeMode,
  type SeriesModel,
} from './definition'
import './insights.css'

export const kindNames: Record<InsightModel['kind'], string> = {
  search: 'Search insight',
  'capture-group': 'Capture group insight',
  'group-results': 'Group results insight',
  'lang-stats': 'Language statistics insight',
}

const units: TimeIntervalStepUnit[] = ['HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR']
const groupByNames: Record<GroupByField, string> = { REPO: 'Repository', LANG: 'Language', PATH: 'Path', AUTHOR: 'Author', DATE: 'Date' }

export function InsightForm({
  initial,
  submitLabel,
  cancelTo,
  onSubmit,
  submitError,
  submitting,
}: {
  initial: InsightModel
  submitLabel: string
  cancelTo: string
  onSubmit: (m: InsightModel) => void
  submitError?: unknown
  submitting: boolean
}) {
  const [m, setM] = useState(initial)
  const [repoText, setRepoText] = useState(initial.scope.repositories.join(', '))
  const [submitted, setSubmitted] = useState(false)
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set())
  const all = problems(m)
  const shown = (field: string) => (submitted || touched.has(field) ? all.find((p) => p.field === field) : undefined)
  const touch = (field: string) => setTouched((t) => (t.has(field) ? t : new Set(t).add(field)))
  const update = (patch: Partial<InsightModel>) => setM((prev) => ({ ...prev, ...patch }))
  const setSeries = (i: number, patch: Partial<SeriesModel>) => setM((prev) => ({ ...prev, series: prev.series.map((s, j) => (j === i ? { ...s, ...patch } : s)) }))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    setSubmitted(true)
    if (all.length === 0) onSubmit(m)
  }
  const line = m.kind !== 'lang-stats'
  return (
    <div className="form-with-preview">
      <form className="form" onSubmit={submit} noValidate aria-label={kindNames[m.kind]}>
        <Field label="Title" problem={shown('title')}>
          {(props) => <input {...props} value={m.title} onChange={(e) => update({ title: e.target.value })} onBlur={() => touch('title')} />}
        </Field>
        <ScopeField
          kind={m.kind}
          scope={m.scope}
          repoText={repoText}
          problem={shown('scope')}
          onRepoText={(text) => {
            setRepoText(text)
            update({ scope: { ...m.scope, repositories: parseRepositories(text) } })
          }}
          onChange={(scope) => update({ scope })}
          onBlur={() => touch('scope')}
        />
        {m.kind === 'search' ? (
          <fieldset>
            <legend>Data series</legend>
            {m.series.map((s, i) => (
              <div className="series-editor" key={i} role="group" aria-label={`Series ${i + 1}`}>
                <div className="row">
                  <Field label="Name" problem={shown(`series.${i}.label`)}>
                    {(props) => <input {...props} value={s.label} onChange={(e) => setSeries(i, { label: e.target.value })} onBlur={() => touch(`series.${i}.label`)} />}
                  </Field>
                  <label>
                    Color
                    <input type="color" className="color-input" value={s.color} onChange={(e) => setSeries(i, { color: e.target.value })} />
                  </label>
                </div>
                <QueryField label="Search query" value={s.query} problem={shown(`series.${i}.query`)} onChange={(query) => setSeries(i, { query })} onBlur={() => touch(`series.${i}.query`)} />
                {m.series.length > 1 ? (
                  <button type="button" className="btn btn-small" onClick={() => update({ series: m.series.filter((_, j) => j !== i) })} aria-label={`Remove series ${i + 1}`}>
                    Remove series
                  </button>
                ) : null}
              </div>
            ))}
            <button
              type="button"
              className="btn"
              disabled={m.series.length >= MAX_SERIES}
              onClick={() => update({ series: [...m.series, { label: '', query: '', color: colorAt(m.series.length) }] })}
            >
              Add another series
            </button>
          </fieldset>
        ) : null}
        {m.kind === 'capture-group' ? (
          <CaptureGroupQuery value={m.series[0]?.query ?? ''} problem={shown('series.0.query')} onChange={(query) => setSeries(0, { query })} onBlur={() => touch('series.0.query')} />
        ) : null}
        {m.kind === 'group-results' ? (
          <>
            <QueryField label="Search query" value={m.series[0]?.query ?? ''} problem={shown('series.0.query')} onChange={(query) => setSeries(0, { query })} onBlur={() => touch('series.0.query')} />
            <label>
              Group results by
              <select value={m.groupBy} onChange={(e) => update({ groupBy: e.target.value as GroupByField })}>
                {(Object.keys(groupByNames) as GroupByField[]).map((g) => (
                  <option key={g} value={g}>
                    {groupByNames[g]}
                  </option>
                ))}
              </select>
              <span className="hint">Author and date group commits: use them with type:commit or type:diff queries. The counts are a daily snapshot.</span>
            </label>
          </>
        ) : null}
        {m.kind === 'lang-stats' ? (
          <Field label="Threshold of Other (%)" problem={shown('otherThreshold')} hint="Languages with a smaller share of the lines are one Other slice.">
            {(props) => <input {...props} type="number" min={0} max={100} step={0.5} value={m.otherThreshold} onChange={(e) => update({ otherThreshold: Number(e.target.value) })} />}
          </Field>
        ) : null}
        {line && m.kind !== 'group-results' ? (
          <fieldset>
            <legend>Time scope</legend>
            <div className="inline-fields">
              <Field label="One point every" problem={shown('interval')}>
                {(props) => <input {...props} type="number" min={1} value={m.interval} onChange={(e) => update({ interval: Number(e.target.value) })} onBlur={() => touch('interval')} />}
              </Field>
              <label>
                Unit
                <select value={m.unit} onChange={(e) => update({ unit: e.target.value as TimeIntervalStepUnit })}>
                  {units.map((u) => (
                    <option key={u} value={u}>
                      {u.toLowerCase()}
                      {m.interval === 1 ? '' : 's'}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <p className="hint">The history is computed for 12 points back from now, then a point is recorded every interval.</p>
          </fieldset>
        ) : null}
        {submitted && all.length > 0 ? (
          <div className="alert alert-error" role="alert">
            Fix {all.length === 1 ? 'this' : `these ${all.length}`} before saving: {all.map((p) => p.message).join(' ')}
          </div>
        ) : null}
        <ErrorAlert error={submitError} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={submitting}>
            {submitting ? 'Saving…' : submitLabel}
          </button>
          <Link className="btn" to={cancelTo}>
            Cancel
          </Link>
        </div>
      </form>
      <aside className="preview-panel" aria-label="Live preview">
        <h2>Live preview</h2>
        {line ? <LinePreview model={m} /> : <LanguagesPreview model={m} />}
      </aside>
    </div>
  )
}

/** A labelled control with its hint and problem, wired for screen readers. */
function Field({
  label,
  problem,
  hint,
  children,
}: {
  label: string
  problem?: Problem
  hint?: string
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode
}) {
  const id = useId()
  const described = [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ')
  return (
    <label htmlFor={id}>
      {label}
      {children({ id, 'aria-invalid': !!problem, 'aria-describedby': described || undefined })}
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {problem ? (
        <span className="field-error" id={`${id}-problem`}>
          {problem.message}
        </span>
      ) : null}
    </label>
  )
}

/** A series query, checked by the search API as it is typed (syntax errors name their position). */
function QueryField({ label, value, problem, onChange, onBlur }: { label: string; value: string; problem?: Problem; onChange: (q: string) => void; onBlur: () => void }) {
  const settled = useDebounced(value.trim(), 500)
  const check = useQuery(VALIDATE_SERIES_QUERY, { variables: { query: `${settled} count:1 timeout:5s` }, skip: settled === '', fetchPolicy: 'network-only' })
  const invalid = settled !== '' && settled === value.trim() && errorCode(check.error) === 'InvalidQuery'
  const id = useId()
  return (
    <label htmlFor={id}>
      {label}
      <input
        id={id}
        className="mono"
        value={value}
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
        onBlur={onBlur}
        aria-invalid={!!problem || invalid}
        aria-describedby={`${id}-status`}
        placeholder="TODO lang:go"
      />
      <span id={`${id}-status`} aria-live="polite" className={problem || invalid ? 'field-error' : 'hint'}>
        {problem ? problem.message : invalid ? `Invalid query: ${errorMessage(check.error)}` : settled && check.data && settled === value.trim() ? 'The query is valid.' : ''}
      </span>
    </label>
  )
}

function CaptureGroupQuery({ value, problem, onChange, onBlur }: { value: string; problem?: Problem; onChange: (q: string) => void; onBlur: () => void }) {
  const checks = captureGroupChecks(value)
  return (
    <fieldset>
      <legend>Capture group query</legend>
      <QueryField label="Search query" value={value} problem={problem} onChange={onChange} onBlur={onBlur} />
      <ul className="checks" aria-label="Capture group checks" aria-live="polite">
        {checks.map((c) => (
          <li key={c.id} className={c.ok ? 'ok' : undefined} data-check={c.id} data-ok={c.ok == null ? 'unchecked' : String(c.ok)}>
            {c.label}
            <span className="visually-hidden">{c.ok == null ? ' (not checked yet)' : c.ok ? ' (passes)' : ' (fails)'}</span>
          </li>
        ))}
      </ul>
      <p className="hint">Every value the capture group matches becomes a series of its own, like each Go version in go.mod files.</p>
    </fieldset>
  )
}

function ScopeField({
  kind,
  scope,
  repoText,
  problem,
  onRepoText,
  onChange,
  onBlur,
}: {
  kind: InsightModel['kind']
  scope: InsightModel['scope']
  repoText: string
  problem?: Problem
  onRepoText: (t: string) => void
  onChange: (s: InsightModel['scope']) => void
  onBlur: () => void
}) {
  const listOnly = kind === 'group-results' || kind === 'lang-stats'
  const modes: [ScopeMode, string][] = listOnly
    ? [['list', 'These repositories']]
    : [
        ['all', 'All repositories'],
        ['list', 'These repositories'],
        ['criteria', 'Repositories matching a query'],
        ['context', 'A search context'],
      ]
  const problemId = useId()
  return (
    <fieldset aria-describedby={problem ? problemId : undefined}>
      <legend>Repositories</legend>
      {modes.length > 1 ? (
        <div className="radio-group">
          {modes.map(([mode, label]) => (
            <label key={mode}>
              <input type="radio" name="scope-mode" checked={scope.mode === mode} onChange={() => onChange({ ...scope, mode })} />
              {label}
            </label>
          ))}
        </div>
      ) : null}
      {scope.mode === 'list' ? <RepositoryNamesField text={repoText} onChange={onRepoText} onBlur={onBlur} /> : null}
      {scope.mode === 'criteria' ? <CriteriaField value={scope.criteria} onChange={(criteria) => onChange({ ...scope, criteria })} onBlur={onBlur} /> : null}
      {scope.mode === 'context' ? <ContextField value={scope.context} onChange={(context) => onChange({ ...scope, context })} /> : null}
      {scope.mode === 'all' ? <p className="hint">Every repository, including those added later; each person sees only the repositories they may read.</p> : null}
      {problem ? (
        <span className="field-error" id={problemId}>
          {problem.message}
        </span>
      ) : null}
    </fieldset>
  )
}

function CriteriaField({ value, onChange, onBlur }: { value: string; onChange: (v: string) => void; onBlur: () => void }) {
  const settled = useDebounced(value.trim(), 500)
  const { data, error } = useQuery(VALIDATE_SCOPE, { variables: { query: settled }, skip: settled === '' })
  const v = data?.validateScopedInsightQuery
  return (
    <label>
      Repository query
      <input className="mono" value={value} onChange={(e) => onChange(e.target.value)} onBlur={onBlur} placeholder="repo:^github\.com/acme/ -repo:archive" spellCheck={false} aria-invalid={v ? !v.isValid : false} />
      <span aria-live="polite" className={v && !v.isValid ? 'field-error' : 'hint'}>
        {error
          ? errorMessage(error)
          : v && settled === value.trim()
            ? v.isValid
              ? `${data.previewRepositoriesFromQuery.numberOfRepositories ?? 0} repositories match now.`
              : (v.invalidReason ?? 'Only repository filters (repo:, -repo:, fork:, archived:, visibility:, context:) may be used.')
            : 'Only repository filters: repo:, -repo:, fork:, archived:, visibility:, context:.'}
      </span>
    </label>
  )
}

function ContextField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const { data, loading } = useQuery(SEARCH_CONTEXTS, { variables: {} })
  const contexts = data?.searchContexts.nodes ?? []
  return (
    <label>
      Search context
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{loading ? 'Loading…' : contexts.length ? 'Choose a context' : 'No search contexts exist'}</option>
        {contexts.map((c) => (
          <option key={c.id} value={c.spec}>
            {c.spec}
          </option>
        ))}
      </select>
    </label>
  )
}

/** The API's live preview of the series (debounced; a new form state replaces a pending one). */
function LinePreview({ model }: { model: InsightModel }) {
  const previewable = problems(model).filter((p) => p.field !== 'title' && !p.field.endsWith('.label')).length === 0
  const input = useMemo(() => previewInput(model), [model])
  const settled = useDebounced(JSON.stringify(input), 700)
  const { data, error, loading, refetch } = useQuery(SEARCH_INSIGHT_PREVIEW, {
    variables: { input: JSON.parse(settled) as typeof input },
    skip: !previewable || settled !== JSON.stringify(input),
    fetchPolicy: 'network-only',
  })
  const chart = useMemo(() => {
    const series = data?.searchInsightPreview ?? []
    const times = [...new Set(series.flatMap((s) => s.points.map((p) => Date.parse(p.dateTime))))].sort((a, b) => a - b)
    return {
      times,
      series: series.map((s, i) => ({
        id: `${i}`,
        label: s.label,
        color: model.series[i]?.color ?? colorAt(i),
        values: times.map((t) => s.points.find((p) => Date.parse(p.dateTime) === t)?.value ?? null),
      })),
    }
  }, [data, model.series])
  if (!previewable) return <p className="muted">Fill in the repositories and the queries to see a preview of the counts.</p>
  const code = errorCode(error)
  return (
    <div aria-live="polite" aria-busy={loading}>
      {loading ? <Loading what="Computing the preview" /> : null}
      {code === 'RepoLimitExceeded' ? (
        <p className="alert alert-info">The live preview covers at most 20 repositories. The insight itself covers all of them once saved.</p>
      ) : code === 'NoData' ? (
        <p className="muted">No data: the repositories have no commits in this time scope.</p>
      ) : (
        <ErrorAlert error={error} prefix="No preview" />
      )}
      {!loading && chart.times.length > 0 ? <LineChart title="Preview" times={chart.times} series={chart.series} height={200} /> : null}
      <button type="button" className="btn btn-small" onClick={() => void refetch()} disabled={loading}>
        Refresh the preview
      </button>
    </div>
  )
}

/** The languages of the scope's repositories now, as the pie will show them. */
function LanguagesPreview({ model }: { model: InsightModel }) {
  const q = scopeQuery(model.scope)
  const settled = useDebounced(q, 600)
  const ok = model.scope.mode === 'list' && model.scope.repositories.length > 0
  const { data, error, loading } = useQuery(LANGUAGES_PREVIEW, { variables: { query: `${settled} type:repo count:all` }, skip: !ok || settled !== q })
  if (!ok) return <p className="muted">Name the repositories to see their languages.</p>
  const slices = (data?.search?.stats.languages ?? []).map((l) => ({ label: l.name, value: l.totalLines }))
  return (
    <div aria-live="polite">
      {loading ? <Loading what="Computing the preview" /> : null}
      <ErrorAlert error={error} prefix="No preview" />
      {data ? <PieChart title="Languages (preview)" slices={slices} otherThreshold={model.otherThreshold / 100} size={180} /> : null}
    </div>
  )
}
