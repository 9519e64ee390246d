// The dashboard's data is its page's one slow request. Asked for when the page mounts it
// waited for the session, the current user, the page's code and the layout's first render
// (~0.5 s of a cold load); the route's loader starts it at navigation instead, beside
// those, and the page takes the answer when it mounts.
import { client } from '../client'
import type { InsightsDashboardViewsQuery } from '../graphql/graphql'
import { DASHBOARD_VIEWS } from './backend'

type Prefetch = { id: string; data: Promise<InsightsDashboardViewsQuery | undefined> }

// Only the latest: a navigation runs the loader again, so an older one is never wanted.
let latest: Prefetch | null = null

/** Starts reading dashboard id's views (uncached, as the page reads them). */
export function prefetchDashboard(id: string): null {
  latest = {
    id,
    // A failure is the page's to show: it asks again itself.
    data: client.query({ query: DASHBOARD_VIEWS, variables: { id }, fetchPolicy: 'no-cache' }).then(
      (r) => (r.error ? undefined : (r.data ?? undefined)),
      () => undefined,
    ),
  }
  return null
}

/** The prefetched read of dashboard id, if its navigation started one. */
export function dashboardPrefetch(id: string): Promise<InsightsDashboardViewsQuery | undefined> | undefined {
  return latest?.id === id ? latest.data : undefined
}
