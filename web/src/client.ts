// The one GraphQL client of the app: Apollo Client over POST /.api/graphql with the
// session cookie and its CSRF header. Objects are normalized by their relay IDs, so a
// monitor edited on its page is current in the list without a refetch. Connections are
// paginated by cursor: fetchMore({after}) appends to the list cached for the other args.
// Expensive operations (searches, previews) go one at a time (expensiveLane.ts).
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type FieldPolicy } from '@apollo/client'
import { SetContextLink } from '@apollo/client/link/context'
import { csrfToken } from './auth/session'
import { expensiveLane } from './expensiveLane'
import possibleTypes from './graphql/possibleTypes'

interface Connection {
  nodes: unknown[]
}

/** A field policy for a connection: pages fetched with `after` extend the first page. */
export function connectionPagination(keyArgs: string[] | false = false): FieldPolicy<Connection> {
  return {
    keyArgs,
    merge(existing, incoming, { args }) {
      if (!existing || !args?.['after']) return incoming
      return { ...incoming, nodes: [...existing.nodes, ...incoming.nodes] }
    },
  }
}

const csrfLink = new SetContextLink((prev) => {
  const token = csrfToken()
  return token ? { headers: { ...prev['headers'], 'X-Lookout-CSRF': token } } : {}
})

export function newClient(uri = '/.api/graphql'): ApolloClient {
  return new ApolloClient({
    link: ApolloLink.from([expensiveLane(), csrfLink, new HttpLink({ uri, credentials: 'same-origin' })]),
    cache: new InMemoryCache({
      possibleTypes: possibleTypes.possibleTypes,
      typePolicies: {
        Query: {
          fields: {
            monitors: connectionPagination(['kind', 'query']),
            users: connectionPagination(['query']),
            repositories: connectionPagination(['query', 'cloned', 'failedFetch', 'orderBy', 'descending']),
            externalServices: connectionPagination(),
            organizations: connectionPagination(['query']),
            // One key per view and filters: a drill-down's filtered series never
            // replace the dashboard's.
            insightViews: connectionPagination(['id', 'find', 'filters', 'seriesDisplayOptions', 'excludeIds', 'isFrozen']),
            campaigns: connectionPagination(['state']),
          },
        },
        // A view's series depend on the filters it was read with, so views are cached
        // per query, not merged by id.
        InsightView: { keyFields: false },
        User: { fields: { monitors: connectionPagination(['kind']), accessTokens: connectionPagination() } },
        Org: { fields: { members: connectionPagination() } },
        Monitor: { fields: { issues: connectionPagination(['state']), alerts: connectionPagination(['state']) } },
        // The list asks for a monitor's last run (first: 1), the logs page for pages of runs.
        MonitorQuery: { fields: { events: connectionPagination(['first']) } },
        // A trigger run lists the monitor's actions with that run's deliveries only, so the
        // actions are not merged into one cached object per action.
        MonitorEmail: { keyFields: false },
        MonitorWebhook: { keyFields: false },
        MonitorSlackWebhook: { keyFields: false },
        IssueTracking: { fields: { events: connectionPagination(), runs: connectionPagination() } },
        // Commits are keyed by repository and oid in their id already.
        GitCommit: { keyFields: ['id'] },
      },
    }),
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
  })
}

export const client = newClient()
