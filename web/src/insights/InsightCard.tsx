import { useMutation, useQuery } from '@apollo/client/react'
import { useEffect, useId, useMemo, useState } from 'react'
import { Link } from 'react-router'
import { LineChart, PieChart, preloadLineChart } from '../components/charts'
import { formatTime } from '../components/charts/format'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { usePollWhile } from '../components/usePollWhile'
import type { InsightViewFiltersInput, SeriesDisplayOptionsInput } from '../graphql/graphql'
import { DELETE_VIEW, INSIGHT_VIEW, REMOVE_VIEW_FROM_DASHBOARD } from './backend'
import { backfillOf, isPie, lineData, pieData, searchURL, viewTitle, type Backfill, type InsightViewData } from './chartData'
import { PointBreakdown, type SelectedPoint } from './PointBreakdown'
import './insights.css'

preloadLineChart()

/** How often a card whose points are still being computed asks again. */
export const BACKFILL_POLL_MS = 2000

/**
 * One insight as a card: its chart, how far its backfill is, and its actions. It loads
 * its own data (so one slow insight does not hold up the dashboard) and polls while the
 * backfill runs. filters and displayOptions replace the view's defaults (the drill-down).
 */
export function InsightCard({
  id,
  preloaded,
  dashboardId,
  dashboardEditable = false,
  filters,
  displayOptions,
  standalone = false,
  onGone,
}: {
  id: string
  /** The view as the dashboard's query read it; the card reads it again itself only to
   * follow a running backfill or when refreshed. */
  preloaded?: InsightViewData
  dashboardId?: string
  dashboardEditable?: boolean
  filters?: InsightViewFiltersInput
  displayOptions?: SeriesDisplayOptionsInput
  standalone?: boolean
  onGone?: () => void
}) {
  const titleId = useId()
  const [own, setOwn] = useState(!preloaded)
  // Not cached: a card's thousands of points would be normalized and compared on every
  // poll for nothing (the card is the only reader; it asks again when it needs to).
  const query = useQuery(INSIGHT_VIEW, {
    variables: { id, filters, seriesDisplayOptions: displayOptions },
    fetchPolicy: 'no-cache',
    skip: !own,
  })
  const { data, previousData, error, loading, refetch } = query
  // While new filters are read, the chart keeps showing the previous answer.
  const view = (own ? (data ?? previousData)?.insightViews.nodes[0] : undefined) ?? preloaded ?? null
  const backfill = view ? backfillOf(view) : null
  const [point, setPoint] = useState<SelectedPoint | null>(null)
  // A running backfill is followed by the card's own query.
  useEffect(() => {
    if (backfill?.loading) setOwn(true)
  }, [backfill?.loading])
  usePollWhile(own && !!backfill?.loading, BACKFILL_POLL_MS, query)
  useEffect(() => setPoint(null), [filters, displayOptions])

  if (!view) {
    return (
      <article className="insight-card" aria-busy={loading}>
        {loading ? <Loading what="Loading the insight" /> : null}
        <ErrorAlert error={error} />
        {!loading && !error ? <p className="muted">This insight no longer exists or is not shared with you.</p> : null}
      </article>
    )
  }
  const title = viewTitle(view)
  return (
    <article className="insight-card" aria-labelledby={titleId} aria-busy={loading} data-insight-id={view.id} data-loading={backfill?.loading ? 'true' : 'false'}>
      <header className="insight-card-header">
        <h2 id={titleId} className="insight-title">
          {standalone ? title : <Link to={`/insights/${encodeURIComponent(view.id)}`}>{title}</Link>}
        </h2>
        <CardMenu view={view} title={title} dashboardId={dashboardId} dashboardEditable={dashboardEditable} onGone={onGone} onRefresh={() => (own ? void refetch() : setOwn(true))} />
      </header>
      {backfill ? <BackfillStatus backfill={backfill} /> : null}
      <ErrorAlert error={error} />
      <InsightChart view={view} title={title} onPoint={isPie(view) ? undefined : setPoint} />
      {point ? <PointBreakdown viewId={view.id} filters={filters} displayOptions={displayOptions} point={point} onClose={() => setPoint(null)} /> : null}
    </article>
  )
}

function InsightChart({ view, title, onPoint }: { view: InsightViewData; title: string; onPoint?: (p: SelectedPoint) => void }) {
  const line = useMemo(() => (isPie(view) ? null : lineData(view)), [view])
  const slices = useMemo(() => (isPie(view) ? pieData(view) : null), [view])
  if (slices) {
    const threshold = view.presentation.__typename === 'PieChartInsightViewPresentation' ? view.presentation.otherThreshold : 0.03
    return <PieChart title={title} slices={slices} otherThreshold={threshold} />
  }
  if (!line || line.times.length === 0) {
    return <p className="muted chart-empty">No data points yet.</p>
  }
  const hourly = view.timeScope.__typename === 'InsightIntervalTimeScope' && view.timeScope.unit === 'HOUR'
  return (
    <LineChart
      title={title}
      times={line.times}
      series={line.series}
      showHours={hourly}
      onPointClick={
        onPoint
          ? (s, i) => {
              const series = line.series[s]
              const time = line.times[i]
              if (series && time != null) onPoint({ seriesId: series.id, label: series.label, time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'), value: series.values[i] ?? 0 })
            }
          : undefined
      }
    />
  )
}

/** The backfill's progress while points are computed; a clear notice when it failed or left gaps. */
export function BackfillStatus({ backfill }: { backfill: Backfill }) {
  const { state, percent, queuePosition, incomplete } = backfill
  return (
    <div className="backfill" data-backfill-state={state}>
      {state === 'QUEUED' ? (
        <p className="alert alert-info" role="status">
          Queued to compute its history{queuePosition != null ? ` (position ${queuePosition + 1} in the queue)` : ''}. Counts may be low until then.
        </p>
      ) : null}
      {state === 'IN_PROGRESS' ? (
        <div className="alert alert-info" role="status">
          {percent != null ? `Computing the history: ${percent}% done.` : 'Computing the data…'} Counts may be low until it finishes.
          {percent != null ? <progress max={100} value={percent} aria-label="Backfill progress" /> : <progress aria-label="Computing the data" />}
        </div>
      ) : null}
      {state === 'FAILED' ? (
        <p className="alert alert-error" role="alert">
          Computing this insight's history failed; its points may be missing or low. A site admin can retry it in the backfill queue.
        </p>
      ) : null}
      {incomplete.length > 0 ? (
        <details className="alert alert-warning">
          <summary>
            {incomplete.length} point{incomplete.length === 1 ? ' is' : 's are'} incomplete
          </summary>
          <ul>
            {incomplete.map((p) => (
              <li key={p.time}>
                {formatTime(Date.parse(p.time), true)}: {p.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  )
}

function CardMenu({
  view,
  title,
  dashboardId,
  dashboardEditable,
  onGone,
  onRefresh,
}: {
  view: InsightViewData
  title: string
  dashboardId?: string
  dashboardEditable: boolean
  onGone?: () => void
  onRefresh: () => void
}) {
  const [confirmDelete, setConfirmDelete] = useState(false)
  const [remove, removing] = useMutation(REMOVE_VIEW_FROM_DASHBOARD)
  const [del, deleting] = useMutation(DELETE_VIEW)
  const query = view.dataSeriesDefinitions[0]?.__typename === 'SearchInsightDataSeriesDefinition' ? view.dataSeriesDefinitions[0].query : ''
  return (
    <details className="card-menu">
      <summary aria-label={`Actions for ${title}`}>Actions</summary>
      <ul>
        {view.viewerCanEdit && !view.isFrozen ? (
          <li>
            <Link to={`/insights/${encodeURIComponent(view.id)}/edit`}>Edit</Link>
          </li>
        ) : null}
        <li>
          <Link to={`/insights/${encodeURIComponent(view.id)}`}>Filters and drill-down</Link>
        </li>
        {query && !isPie(view) ? (
          <li>
            <Link to={searchURL(query)}>Search now</Link>
          </li>
        ) : null}
        <li>
          <a href={`/.api/insights/export/${encodeURIComponent(view.id)}`} download>
            Export CSV
          </a>
        </li>
        <li>
          <button type="button" className="btn-link" onClick={onRefresh}>
            Refresh
          </button>
        </li>
        {dashboardId && dashboardEditable ? (
          <li>
            <button
              type="button"
              className="btn-link"
              disabled={removing.loading}
              onClick={() => void remove({ variables: { input: { insightViewId: view.id, dashboardId } } }).then(() => onGone?.(), () => undefined)}
            >
              Remove from this dashboard
            </button>
          </li>
        ) : null}
        {view.viewerCanEdit ? (
          <li>
            {confirmDelete ? (
              <span role="group" aria-label="Confirm deletion">
                Delete for everyone?{' '}
                <button type="button" className="btn btn-danger btn-small" disabled={deleting.loading} onClick={() => void del({ variables: { id: view.id } }).then(() => onGone?.(), () => undefined)}>
                  Delete insight
                </button>{' '}
                <button type="button" className="btn btn-small" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </button>
              </span>
            ) : (
              <button type="button" className="btn-link" onClick={() => setConfirmDelete(true)}>
                Delete…
              </button>
            )}
          </li>
        ) : null}
      </ul>
      <ErrorAlert error={removing.error ?? deleting.error} />
    </details>
  )
}
