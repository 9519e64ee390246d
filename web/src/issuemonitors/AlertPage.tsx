import { useQuery } from '@apollo/client/react'
import { Link, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Time } from '../components/Time'
import { ISSUE_ALERT } from './backend'
import { IssueSummary } from './DetailPage'
import { AlertBadge } from './ListPage'

/**
 * /code-monitoring/:id/alerts/:alertId, the alert URL of issue monitor notifications:
 * the alert as it is now (it may be solved since), its issues, and its monitor.
 */
export function IssueAlertPage() {
  const { alertId = '' } = useParams()
  const { data, error, loading } = useQuery(ISSUE_ALERT, { variables: { id: alertId } })
  const a = data?.node
  if (error && !a) return <Page title="Alert"><ErrorAlert error={error} /></Page>
  if (loading && !a) return <Loading what="Loading the alert" />
  if (!a || a.__typename !== 'Alert') return <NotFound what="alert" />
  const monitorPage = `/issue-monitoring/${encodeURIComponent(a.monitor.id)}`
  return (
    <Page title={`Alert: ${a.monitor.description}`}>
      <p>
        <AlertBadge priority={a.priority} acknowledged={a.acknowledged} /> {a.state.toLowerCase()} · raised <Time date={a.createdAt} />
        {a.solvedAt ? (
          <>
            {' '}
            · solved <Time date={a.solvedAt} />
          </>
        ) : null}
        {a.locked ? ' · locked' : ''}
      </p>
      <p>
        <Link to={monitorPage}>Go to the issue monitor</Link> (acknowledge, lock, run now)
      </p>
      <h2>
        {a.issues.totalCount} issue{a.issues.totalCount === 1 ? '' : 's'}
      </h2>
      <ul className="list" aria-label="Issues of the alert">
        {a.issues.nodes.map((is) => (
          <li key={is.id} className="list-row">
            <IssueSummary issue={is} />
          </li>
        ))}
      </ul>
    </Page>
  )
}
