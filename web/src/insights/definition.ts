// The insight forms' model: what a person edits, checked as they type, and turned into
// the API's inputs (create, update, preview). An existing view is read back into the same
// model, so the edit form and "save default filters" send the definition unchanged.
import { colorAt } from '../components/charts/format'
export { parseRepositories } from '../components/repositoryNames'
import type {
  GroupByField,
  InsightViewControlsInput,
  InsightViewDefinitionQuery,
  LineChartSearchInsightInput,
  PieChartSearchInsightInput,
  RepositoryScopeInput,
  SearchInsightPreviewInput,
  TimeIntervalStepUnit,
  UpdateLineChartSearchInsightInput,
} from '../graphql/graphql'

export type InsightKind = 'search' | 'capture-group' | 'group-results' | 'lang-stats'

export type ScopeMode = 'all' | 'list' | 'criteria' | 'context'

export interface ScopeModel {
  mode: ScopeMode
  repositories: string[]
  criteria: string
  context: string
}

export interface SeriesModel {
  /** Kept on edit, so an unchanged series keeps its points. */
  seriesId?: string
  label: string
  query: string
  color: string
}

export interface InsightModel {
  kind: InsightKind
  title: string
  scope: ScopeModel
  unit: TimeIntervalStepUnit
  interval: number
  series: SeriesModel[]
  groupBy: GroupByField
  /** Percent (0–100) under which languages are "Other". */
  otherThreshold: number
}

export const MAX_SERIES = 20

export function newModel(kind: InsightKind): InsightModel {
  return {
    kind,
    title: '',
    scope: { mode: kind === 'search' || kind === 'capture-group' ? 'all' : 'list', repositories: [], criteria: '', context: '' },
    unit: 'MONTH',
    interval: 1,
    series: [{ label: '', query: '', color: colorAt(0) }],
    groupBy: 'REPO',
    otherThreshold: 3,
  }
}

export function scopeInput(s: ScopeModel): RepositoryScopeInput {
  switch (s.mode) {
    case 'list':
      return { repositories: s.repositories }
    case 'criteria':
      return { repositories: [], repositoryCriteria: s.criteria.trim() }
    case 'context':
      return { repositories: [], repositoryCriteria: `context:${s.context.trim()}` }
    default:
      return { repositories: [] }
  }
}

/** The scope as repository filters of a search query (for the language preview). */
export function scopeQuery(s: ScopeModel): string {
  switch (s.mode) {
    case 'list':
      return s.repositories.length ? `repo:^(${s.repositories.map(escapeRegexp).join('|')})$` : ''
    case 'criteria':
      return s.criteria.trim()
    case 'context':
      return `context:${s.context.trim()}`
    default:
      return ''
  }
}

export function escapeRegexp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

export interface Problem {
  /** The field it is about: title, scope, interval, series.N.query, series.N.label. */
  field: string
  message: string
}

export interface Check {
  id: string
  label: string
  /** true passes, false fails, null not checked yet (empty query). */
  ok: boolean | null
}

/** The checks a capture-group query must pass, shown as a live checklist. */
export function captureGroupChecks(query: string): Check[] {
  const q = query.trim()
  const empty = q === ''
  const regexp = /\/(?:[^/\\]|\\.)*\/|patterntype:regexp/i.test(q)
  const group = /(^|[^\\])\((?!\?)/.test(q)
  const check = (id: string, label: string, ok: boolean): Check => ({ id, label, ok: empty ? null : ok })
  return [
    check('group', 'Contains a regular expression with a capture group, like /version (\\d+)/', regexp && group),
    check('bool', 'Has no AND, OR or NOT operator', !/(^|\s)(AND|OR|NOT)(\s|$)/.test(q)),
    check('repo', 'Has no repo: filter (the repositories are chosen above)', !/(^|\s)-?repo:/i.test(q)),
    check('rev', 'Has no rev: filter', !/(^|\s)rev:/i.test(q)),
    check('type', 'Searches file contents, not commits or diffs', !/(^|\s)type:(commit|diff)\b/i.test(q)),
    check('pattern', 'Is not a literal or structural search', !/patterntype:(literal|structural)/i.test(q)),
  ]
}

/** What is wrong with the model, field by field (empty when it can be saved). */
export function problems(m: InsightModel): Problem[] {
  const out: Problem[] = []
  if (!m.title.trim()) out.push({ field: 'title', message: 'Give the insight a title.' })
  const s = m.scope
  if (s.mode === 'list' && s.repositories.length === 0) out.push({ field: 'scope', message: 'Name at least one repository.' })
  if (s.mode === 'criteria' && !s.criteria.trim()) out.push({ field: 'scope', message: 'Write a repository query, like repo:^github\\.com/acme/.' })
  if (s.mode === 'context' && !s.context.trim()) out.push({ field: 'scope', message: 'Choose a search context.' })
  if ((m.kind === 'group-results' || m.kind === 'lang-stats') && s.mode !== 'list') {
    out.push({ field: 'scope', message: 'This kind of insight needs a list of repositories.' })
  }
  if (m.kind === 'lang-stats') {
    if (!(m.otherThreshold >= 0 && m.otherThreshold <= 100)) out.push({ field: 'otherThreshold', message: 'A share between 0 and 100%.' })
    return out
  }
  if (m.kind !== 'group-results' && !(Number.isInteger(m.interval) && m.interval >= 1 && m.interval <= 1000)) {
    out.push({ field: 'interval', message: 'A whole number of intervals, at least 1.' })
  }
  if (m.series.length === 0) out.push({ field: 'series', message: 'Add a series.' })
  if (m.series.length > MAX_SERIES) out.push({ field: 'series', message: `At most ${MAX_SERIES} series.` })
  m.series.forEach((sr, i) => {
    if (!sr.query.trim()) out.push({ field: `series.${i}.query`, message: 'Write a search query.' })
    if (m.kind === 'search' && !sr.label.trim()) out.push({ field: `series.${i}.label`, message: 'Name the series.' })
  })
  const first = m.series[0]
  if (m.kind === 'capture-group' && first) {
    const failed = captureGroupChecks(first.query).find((c) => c.ok === false)
    if (failed) out.push({ field: 'series.0.query', message: failed.label })
  }
  if (m.kind === 'group-results' && first && (m.groupBy === 'AUTHOR' || m.groupBy === 'DATE') && !/(^|\s)type:(commit|diff)\b/i.test(first.query)) {
    out.push({ field: 'series.0.query', message: 'Grouping by author or date needs a type:commit or type:diff query.' })
  }
  return out
}

function seriesInputs(m: InsightModel) {
  return m.series.map((s, i) => ({
    seriesId: s.seriesId,
    query: s.query.trim(),
    options: { label: m.kind === 'search' ? s.label.trim() : s.label.trim() || m.title.trim(), lineColor: s.color || colorAt(i) },
    generatedFromCaptureGroups: m.kind === 'capture-group',
    groupBy: m.kind === 'group-results' ? m.groupBy : undefined,
  }))
}

function timeScope(m: InsightModel) {
  // A group-by series is a daily snapshot; the API still wants an interval.
  return m.kind === 'group-results' ? { stepInterval: { unit: 'DAY' as const, value: 1 } } : { stepInterval: { unit: m.unit, value: m.interval } }
}

export function createLineInput(m: InsightModel, dashboards: string[]): LineChartSearchInsightInput {
  return { dataSeries: seriesInputs(m), repositoryScope: scopeInput(m.scope), timeScope: timeScope(m), options: { title: m.title.trim() }, dashboards }
}

export function updateLineInput(m: InsightModel, viewControls: InsightViewControlsInput): UpdateLineChartSearchInsightInput {
  return { dataSeries: seriesInputs(m), repositoryScope: scopeInput(m.scope), timeScope: timeScope(m), presentationOptions: { title: m.title.trim() }, viewControls }
}

export function pieInput(m: InsightModel, dashboards: string[]): PieChartSearchInsightInput {
  return { query: '', repositoryScope: scopeInput(m.scope), presentationOptions: { title: m.title.trim(), otherThreshold: m.otherThreshold / 100 }, dashboards }
}

export function previewInput(m: InsightModel): SearchInsightPreviewInput {
  return {
    repositoryScope: scopeInput(m.scope),
    timeScope: timeScope(m),
    series: seriesInputs(m).map((s) => ({ query: s.query, label: s.options.label ?? '', generatedFromCaptureGroups: s.generatedFromCaptureGroups, groupBy: s.groupBy })),
  }
}

type Definition = InsightViewDefinitionQuery['insightViews']['nodes'][number]

/** An existing view as the form edits it. */
export function modelOf(v: NonNullable<Definition>): InsightModel {
  const defs = v.dataSeriesDefinitions.flatMap((d) => (d.__typename === 'SearchInsightDataSeriesDefinition' ? [d] : []))
  const pie = v.presentation.__typename === 'PieChartInsightViewPresentation'
  const first = defs[0]
  const kind: InsightKind = pie ? 'lang-stats' : first?.groupBy ? 'group-results' : first?.generatedFromCaptureGroups ? 'capture-group' : 'search'
  const m = newModel(kind)
  m.title = v.presentation.title
  const rd = v.repositoryDefinition
  if (rd.__typename === 'InsightRepositoryScope') {
    m.scope = { ...m.scope, mode: 'list', repositories: rd.repositories }
  } else if (rd.__typename === 'RepositorySearchScope') {
    const ctx = /^context:(\S+)$/.exec(rd.search.trim())
    m.scope = rd.allRepositories || !rd.search.trim() ? { ...m.scope, mode: 'all' } : ctx ? { ...m.scope, mode: 'context', context: ctx[1] ?? '' } : { ...m.scope, mode: 'criteria', criteria: rd.search }
  }
  if (v.timeScope.__typename === 'InsightIntervalTimeScope') {
    m.unit = v.timeScope.unit
    m.interval = v.timeScope.value
  }
  if (v.presentation.__typename === 'PieChartInsightViewPresentation') {
    m.otherThreshold = Math.round(v.presentation.otherThreshold * 1000) / 10
    return m
  }
  const styles = new Map(v.presentation.__typename === 'LineChartInsightViewPresentation' ? v.presentation.seriesPresentation.map((p) => [p.seriesId, p]) : [])
  m.series = defs.map((d, i) => ({ seriesId: d.seriesId, query: d.query, label: styles.get(d.seriesId)?.label ?? '', color: styles.get(d.seriesId)?.color ?? colorAt(i) }))
  if (first?.groupBy) m.groupBy = first.groupBy
  return m
}
