import type { ReactNode } from 'react'
import { ErrorAlert } from './ErrorAlert'
import { Loading } from './Loading'
import { ShowMore } from './ShowMore'

interface Connection<T> {
  nodes: T[]
  totalCount: number
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
}

/**
 * A list page's body for one GraphQL connection: its error in place, a loading note, an
 * empty state, the rows, and "Show more" through the cursor.
 */
export function ConnectionList<T>({
  connection,
  loading,
  error,
  label,
  noun,
  empty,
  fetchMore,
  row,
}: {
  connection: Connection<T> | undefined
  loading: boolean
  error: unknown
  /** The list's accessible name. */
  label: string
  /** What the rows are, plural ("code monitors"). */
  noun: string
  empty: ReactNode
  fetchMore: (after: string) => Promise<unknown>
  row: (node: T) => ReactNode
}) {
  return (
    <>
      <ErrorAlert error={error} />
      {loading && !connection ? <Loading what={`Loading ${noun}`} /> : null}
      {connection && connection.nodes.length === 0 ? <div className="empty">{empty}</div> : null}
      {connection && connection.nodes.length > 0 ? (
        <>
          <ul className="list" aria-label={label}>
            {connection.nodes.map(row)}
          </ul>
          <ShowMore pageInfo={connection.pageInfo} shown={connection.nodes.length} total={connection.totalCount} noun={noun} fetchMore={fetchMore} />
        </>
      ) : null}
    </>
  )
}
