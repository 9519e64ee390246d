import { useQuery } from '@apollo/client/react'
import { Link, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { ShowMore } from '../components/ShowMore'
import { StatusBadge } from '../components/StatusBadge'
import { Time } from '../components/Time'
import type { CodeMonitorLogsQuery } from '../graphql/graphql'
import { MONITOR_LOGS } from './backend'

const PAGE_SIZE = 20

type Monitor = Extract<NonNullable<CodeMonitorLogsQuery['node']>, { __typename: 'Monitor' }>
type Run = Monitor['trigger']['events']['nodes'][number]

const actionLabel: Record<string, string> = { MonitorEmail: 'Email', MonitorWebhook: 'Webhook', MonitorSlackWebhook: 'Slack' }

/** /code-monitoring/:id/logs: each trigger run, expandable to its deliveries. */
export function CodeMonitorLogsPage() {
  const { id = '' } = useParams()
  const { data, error, loading, fetchMore } = useQuery(MONITOR_LOGS, { variables: { id, first: PAGE_SIZE }, pollInterval: 5000 })
  const node = data?.node
  if (error && !node) return <Page title="Code monitor logs"><ErrorAlert error={error} /></Page>
  if (loading && !node) return <Loading what="Loading the runs" />
  if (!node || node.__typename !== 'Monitor') return <NotFound what="code monitor" />
  const events = node.trigger.events
  return (
    <Page
      title={`Logs: ${node.description}`}
      actions={
        <Link className="btn" to={`/code-monitoring/${encodeURIComponent(id)}`}>
          Edit monitor
        </Link>
      }
    >
      <p className="muted">
        Query: <code>{node.trigger.query}</code>
      </p>
      <ErrorAlert error={error} />
      {events.nodes.length === 0 ? (
        <p className="empty">No runs yet. The monitor runs on its schedule and after every push to a repository it covers.</p>
      ) : (
        <>
          <ul className="list" aria-label="Trigger runs">
            {events.nodes.map((run) => (
              <RunRow key={run.id} run={run} />
            ))}
          </ul>
          <ShowMore
            pageInfo={events.pageInfo}
            shown={events.nodes.length}
            total={events.totalCount}
            noun="runs"
            fetchMore={(after) => fetchMore({ variables: { after } })}
          />
        </>
      )}
    </Page>
  )
}

function RunRow({ run }: { run: Run }) {
  const deliveries = run.actions.nodes.flatMap((a) =>
    a.events.nodes.map((ev) => ({ ...ev, action: actionLabel[a.__typename] ?? a.__typename, target: 'url' in a ? a.url : 'your email address' })),
  )
  return (
    <li className="list-row run">
      <details>
        <summary>
          <StatusBadge status={run.status} /> <Time date={run.timestamp} /> — {run.resultCount} new result{run.resultCount === 1 ? '' : 's'}
          {deliveries.length ? `, ${deliveries.length} notification${deliveries.length === 1 ? '' : 's'}` : ''}
        </summary>
        {run.query ? (
          <p>
            <Link to={`/search?q=${encodeURIComponent(run.query)}`}>Search as this run did</Link>: <code>{run.query}</code>
          </p>
        ) : null}
        {run.message ? <p className={run.status === 'ERROR' ? 'field-error' : 'muted'}>{run.message}</p> : null}
        {deliveries.length === 0 ? (
          <p className="muted">No notifications: {run.resultCount === 0 ? 'nothing new matched' : 'no enabled actions'}.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Notifications of this run</caption>
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">To</th>
                  <th scope="col">Status</th>
                  <th scope="col">When</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id}>
                    <td>{d.action}</td>
                    <td className="mono">{d.target}</td>
                    <td>
                      <StatusBadge status={d.status} />
                    </td>
                    <td>
                      <Time date={d.timestamp} />
                    </td>
                    <td>{d.message ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </li>
  )
}
