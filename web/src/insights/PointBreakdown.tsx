import { useQuery } from '@apollo/client/react'
import { useEffect, useRef } from 'react'
import { Link } from 'react-router'
import { formatTime, formatValue } from '../components/charts/format'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import type { InsightViewFiltersInput, SeriesDisplayOptionsInput } from '../graphql/graphql'
import { POINT_BREAKDOWN } from './backend'
import { searchURL } from './chartData'

export interface SelectedPoint {
  seriesId: string
  label: string
  /** The point's dateTime as the API gave it (RFC 3339, seconds). */
  time: string
  value: number
}

/**
 * The drill-down of one point: the repositories its value is made of (as the viewer may
 * see them, with the card's filters), each with a search pinned to the commit it was
 * counted at, and a search for the whole point. Read for that time only.
 */
export function PointBreakdown({
  viewId,
  filters,
  displayOptions,
  point,
  onClose,
}: {
  viewId: string
  filters?: InsightViewFiltersInput
  displayOptions?: SeriesDisplayOptionsInput
  point: SelectedPoint
  onClose: () => void
}) {
  const heading = useRef<HTMLHeadingElement>(null)
  // Not cached: it would share the view's cache entry (views are not normalized) with
  // the page's definition query when no filters are applied.
  const { data, error, loading } = useQuery(POINT_BREAKDOWN, {
    variables: { id: viewId, filters, seriesDisplayOptions: displayOptions, at: point.time },
    fetchPolicy: 'no-cache',
  })
  useEffect(() => heading.current?.focus(), [point])
  const series = data?.insightViews.nodes[0]?.dataSeries.find((s) => s.seriesId === point.seriesId)
  const p = series?.points[0]
  const when = formatTime(Date.parse(point.time), true)
  return (
    <section className="breakdown" aria-label={`Repositories of ${point.label} at ${when}`} data-series={point.seriesId} data-time={point.time}>
      <div className="breakdown-header">
        <h3 ref={heading} tabIndex={-1}>
          {point.label} at {when}: {formatValue(p?.value ?? point.value)}
        </h3>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </div>
      {loading && !data ? <Loading what="Loading the repositories" /> : null}
      <ErrorAlert error={error} />
      {p ? (
        <>
          <p className="breakdown-links">
            {p.pointInTimeQuery ? <Link to={searchURL(p.pointInTimeQuery)}>Search the results at this point</Link> : <span className="muted">Too many repositories to pin in one search; use the repositories' links.</span>}
            {p.diffQuery ? (
              <>
                {' · '}
                <Link to={searchURL(p.diffQuery)}>What changed since the previous point</Link>
              </>
            ) : null}
          </p>
          {p.repositoryBreakdown.length === 0 ? (
            <p className="muted">No repository has results at this point.</p>
          ) : (
            <div className="table-wrap">
              <table className="breakdown-table">
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col" className="num">
                      Value
                    </th>
                    <th scope="col">Commit</th>
                    <th scope="col">Search</th>
                  </tr>
                </thead>
                <tbody>
                  {p.repositoryBreakdown.map((r) => (
                    <tr key={r.name} data-repo={r.name} data-value={r.value}>
                      <th scope="row">{r.name}</th>
                      <td className="num">{formatValue(r.value)}</td>
                      <td>
                        <code>{r.commit ? r.commit.slice(0, 10) : '–'}</code>
                      </td>
                      <td>{r.pointInTimeQuery ? <Link to={searchURL(r.pointInTimeQuery)} aria-label={`Search ${r.name} at this point`}>Search</Link> : null}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : data && !loading ? (
        <p className="muted">This point is no longer there (the filters changed or the series was recomputed).</p>
      ) : null}
    </section>
  )
}
