import { useState } from 'react'
import { ErrorAlert } from './ErrorAlert'

interface PageInfo {
  hasNextPage: boolean
  endCursor: string | null
}

/**
 * The foot of a cursor-paginated list: "N of M shown" and a button that fetches the
 * page after pageInfo.endCursor (the cache's field policy appends it, see client.ts).
 */
export function ShowMore({
  pageInfo,
  shown,
  total,
  noun,
  fetchMore,
}: {
  pageInfo: PageInfo
  shown: number
  total: number
  noun: string
  fetchMore: (after: string) => Promise<unknown>
}) {
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<unknown>(null)
  return (
    <div className="show-more">
      <span aria-live="polite">
        {shown} of {total} {noun}
      </span>
      {pageInfo.hasNextPage && pageInfo.endCursor ? (
        <button
          type="button"
          className="btn"
          disabled={loading}
          onClick={() => {
            setLoading(true)
            setError(null)
            fetchMore(pageInfo.endCursor ?? '')
              .catch(setError)
              .finally(() => setLoading(false))
          }}
        >
          {loading ? 'Loading…' : 'Show more'}
        </button>
      ) : null}
      <ErrorAlert error={error} />
    </div>
  )
}
