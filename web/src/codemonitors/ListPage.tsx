import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Page } from '../components/Page'
import { ConnectionList } from '../components/ConnectionList'
import { StatusBadge } from '../components/StatusBadge'
import { Time } from '../components/Time'
import { Toggle } from '../components/Toggle'
import type { CodeMonitorsQuery } from '../graphql/graphql'
import { CODE_MONITORS, TOGGLE_CODE_MONITOR } from './backend'

export const PAGE_SIZE = 50

type MonitorNode = NonNullable<CodeMonitorsQuery['currentUser']>['monitors']['nodes'][number]

export function CodeMonitorsListPage() {
  const { data, error, loading, fetchMore } = useQuery(CODE_MONITORS, { variables: { first: PAGE_SIZE } })
  const monitors = data?.currentUser?.monitors
  return (
    <Page
      title="Code monitors"
      actions={
        <Link className="btn btn-primary" to="/code-monitoring/new">
          Create a code monitor
        </Link>
      }
    >
      <p className="lead">Watch your code for new commits and diffs that match a search, and get notified by email, webhook or Slack.</p>
      <ConnectionList
        connection={monitors}
        loading={loading}
        error={error}
        label="Code monitors"
        noun="code monitors"
        empty={
          <>
            <p>You have no code monitors yet.</p>
            <Link to="/code-monitoring/new">Create your first code monitor</Link>
          </>
        }
        fetchMore={(after) => fetchMore({ variables: { after } })}
        row={(m) => <MonitorRow key={m.id} monitor={m} />}
      />
    </Page>
  )
}

const actionNames: Record<string, string> = { MonitorEmail: 'email', MonitorWebhook: 'webhook', MonitorSlackWebhook: 'Slack' }

function MonitorRow({ monitor }: { monitor: MonitorNode }) {
  const [toggle, { error, loading }] = useMutation(TOGGLE_CODE_MONITOR)
  const [slow, setSlow] = useState(false)
  const trigger = monitor.trigger
  const last = trigger?.events.nodes[0]
  const kinds = [...new Set(monitor.actions.nodes.map((a) => actionNames[a.__typename] ?? a.__typename))]
  return (
    <li className="list-row">
      <div className="list-main">
        <Link to={`/code-monitoring/${encodeURIComponent(monitor.id)}`} className="list-title">
          {monitor.description}
        </Link>
        <div className="muted">New search result → {kinds.length ? kinds.join(', ') : 'no actions'}</div>
        {trigger ? <code className="query">{trigger.query}</code> : null}
      </div>
      <div className="list-side">
        <div>
          {last ? (
            <>
              Last run <StatusBadge status={last.status} /> <Time date={last.timestamp} />
            </>
          ) : (
            <span className="muted">Not run yet</span>
          )}
        </div>
        <Link to={`/code-monitoring/${encodeURIComponent(monitor.id)}/logs`}>Logs</Link>
        <Toggle
          label={`Enabled: ${monitor.description}`}
          hideLabel
          checked={monitor.enabled}
          disabled={loading}
          onChange={(enabled) => {
            // A spinner only for slow toggles, so quick ones do not flicker.
            const timer = setTimeout(() => setSlow(true), 300)
            toggle({ variables: { id: monitor.id, enabled } })
              .catch(() => undefined)
              .finally(() => {
                clearTimeout(timer)
                setSlow(false)
              })
          }}
        />
        {slow ? <span role="status">Saving…</span> : null}
        <ErrorAlert error={error} />
      </div>
    </li>
  )
}
