import { useMutation, useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { TOGGLE_CODE_MONITOR } from '../codemonitors/backend'
import { ErrorAlert } from '../components/ErrorAlert'
import { Page } from '../components/Page'
import { ConnectionList } from '../components/ConnectionList'
import { Toggle } from '../components/Toggle'
import type { IssueMonitorsQuery } from '../graphql/graphql'
import { ISSUE_MONITORS } from './backend'

type Monitor = NonNullable<IssueMonitorsQuery['currentUser']>['monitors']['nodes'][number]

export function IssueMonitorsListPage() {
  const { data, error, loading, fetchMore } = useQuery(ISSUE_MONITORS, { variables: { first: 50 } })
  const monitors = data?.currentUser?.monitors
  return (
    <Page
      title="Issue monitors"
      actions={
        <Link className="btn btn-primary" to="/issue-monitoring/new">
          Create an issue monitor
        </Link>
      }
    >
      <p className="lead">Track every result of a search as an issue until it is fixed, with one prioritised alert per monitor.</p>
      <ConnectionList
        connection={monitors}
        loading={loading}
        error={error}
        label="Issue monitors"
        noun="issue monitors"
        empty={
          <>
            <p>You have no issue monitors yet.</p>
            <Link to="/issue-monitoring/new">Create your first issue monitor</Link>
          </>
        }
        fetchMore={(after) => fetchMore({ variables: { after } })}
        row={(m) => <Row key={m.id} monitor={m} />}
      />
    </Page>
  )
}

function Row({ monitor }: { monitor: Monitor }) {
  const [toggle, { error, loading }] = useMutation(TOGGLE_CODE_MONITOR)
  const alert = monitor.alerts.nodes[0]
  return (
    <li className="list-row">
      <div className="list-main">
        <Link className="list-title" to={`/issue-monitoring/${encodeURIComponent(monitor.id)}`}>
          {monitor.description}
        </Link>
        <code className="query">{monitor.issueTracking?.query}</code>
      </div>
      <div className="list-side">
        <span>
          {monitor.issues.totalCount} active issue{monitor.issues.totalCount === 1 ? '' : 's'}
        </span>
        {alert ? <AlertBadge priority={alert.priority} acknowledged={alert.acknowledged} /> : <span className="muted">no alert</span>}
        <Toggle label={`Enabled: ${monitor.description}`} hideLabel checked={monitor.enabled} disabled={loading} onChange={(enabled) => void toggle({ variables: { id: monitor.id, enabled } }).catch(() => undefined)} />
        <ErrorAlert error={error} />
      </div>
    </li>
  )
}

export function AlertBadge({ priority, acknowledged }: { priority: string | null; acknowledged: boolean }) {
  return (
    <span className="badge badge-priority">
      {priority ? `${priority} alert` : 'alert (no priority)'}
      {acknowledged ? ', acknowledged' : ''}
    </span>
  )
}
