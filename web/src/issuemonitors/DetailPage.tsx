import { useMutation, useQuery } from '@apollo/client/react'
import { Link, useParams, useSearchParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { ShowMore } from '../components/ShowMore'
import { StatusBadge } from '../components/StatusBadge'
import { Time } from '../components/Time'
import type { IssueMonitorQuery, IssueState } from '../graphql/graphql'
import { ACKNOWLEDGE_ALERT, ISSUE_MONITOR, LOCK_ALERT, RUN_ISSUE_MONITOR, SOLVE_ISSUE, UNLOCK_ALERT } from './backend'
import { AlertBadge } from './ListPage'

type Monitor = Extract<NonNullable<IssueMonitorQuery['node']>, { __typename: 'Monitor' }>
const states: IssueState[] = ['ACTIVE', 'SOLVED', 'DROPPED']

/** An issue monitor: its alert, its issues by state, runs and the event timeline. */
export function IssueMonitorPage() {
  const { id = '' } = useParams()
  const [params, setParams] = useSearchParams()
  const state = (states as string[]).includes(params.get('state') ?? '') ? (params.get('state') as IssueState) : 'ACTIVE'
  const { data, error, loading, fetchMore, refetch } = useQuery(ISSUE_MONITOR, { variables: { id, state, first: 50 }, pollInterval: 5000 })
  const [run, ran] = useMutation(RUN_ISSUE_MONITOR)
  const node = data?.node
  if (error && !node) return <Page title="Issue monitor"><ErrorAlert error={error} /></Page>
  if (loading && !node) return <Loading what="Loading the issue monitor" />
  if (!node || node.__typename !== 'Monitor' || !node.issueTracking) return <NotFound what="issue monitor" />
  const it = node.issueTracking
  return (
    <Page
      title={`Issue monitor: ${node.description}`}
      actions={
        <>
          <button type="button" className="btn btn-primary" disabled={ran.loading} onClick={() => void run({ variables: { id: node.id } }).then(() => refetch()).catch(() => undefined)}>
            {ran.loading ? 'Queueing…' : 'Run now'}
          </button>
          <Link className="btn" to={`/issue-monitoring/${encodeURIComponent(node.id)}/edit`}>
            Edit
          </Link>
        </>
      }
    >
      <ErrorAlert error={ran.error ?? error} />
      {ran.data ? <p role="status">A run is queued.</p> : null}
      <p className="muted">
        <code>{it.query}</code> · searched {it.searchSchedule}, updated {it.updateSchedule} · next search <Time date={it.nextSearchAt} />
        {node.enabled ? '' : ' · disabled'}
      </p>
      <h2>Alert</h2>
      {node.alerts.nodes.length === 0 ? <p className="muted">No active alert.</p> : node.alerts.nodes.map((a) => <AlertCard key={a.id} alert={a} />)}
      <h2 id="issues-heading">Issues</h2>
      <div role="tablist" aria-label="Issue state" className="tabs">
        {states.map((s) => (
          <button key={s} type="button" role="tab" aria-selected={s === state} onClick={() => setParams({ state: s })}>
            {s.charAt(0) + s.slice(1).toLowerCase()}
            {s === state ? ` (${node.issues.totalCount})` : ''}
          </button>
        ))}
      </div>
      <IssueList monitor={node} fetchMore={(after) => fetchMore({ variables: { after } })} />
      <h2>Runs</h2>
      <ul className="list" aria-label="Runs">
        {it.runs.nodes.length === 0 ? <li className="list-row muted">No runs yet.</li> : null}
        {it.runs.nodes.map((r) => (
          <li key={r.id} className="list-row">
            <span>
              <StatusBadge status={r.status} /> {r.search ? 'search' : ''}
              {r.search && r.update ? ' + ' : ''}
              {r.update ? 'update' : ''} <Time date={r.finishedAt ?? r.queuedAt} />
            </span>
            <span>
              {r.resultCount} results · {r.issuesCreated} new · {r.issuesSolved} solved
              {r.message ? <span className="field-error"> · {r.message}</span> : null}
            </span>
          </li>
        ))}
      </ul>
      <h2>Events</h2>
      <ol className="timeline" aria-label="Event timeline">
        {it.events.nodes.map((ev) => (
          <li key={ev.id}>
            <Time date={ev.createdAt} /> <strong>{ev.name.toLowerCase().replaceAll('_', ' ')}</strong> <span className="muted">{ev.source}</span>
            {ev.actor ? <span className="muted"> by {ev.actor.username}</span> : null}
          </li>
        ))}
      </ol>
      {it.events.totalCount > it.events.nodes.length ? <p className="muted">The newest {it.events.nodes.length} of {it.events.totalCount} events.</p> : null}
    </Page>
  )
}

function AlertCard({ alert }: { alert: Monitor['alerts']['nodes'][number] }) {
  const [ack, acked] = useMutation(ACKNOWLEDGE_ALERT)
  const [lock, locked] = useMutation(LOCK_ALERT)
  const [unlock, unlocked] = useMutation(UNLOCK_ALERT)
  const v = { variables: { id: alert.id } }
  return (
    <div className="alert alert-warning" aria-label="Active alert">
      <p>
        <AlertBadge priority={alert.priority} acknowledged={alert.acknowledged} /> since <Time date={alert.createdAt} /> · {alert.issues.totalCount} active issues
        {alert.locked ? ' · locked (no new issues join it)' : ''}
      </p>
      <div className="form-actions">
        <button type="button" className="btn" disabled={alert.acknowledged || acked.loading} onClick={() => void ack(v).catch(() => undefined)}>
          {alert.acknowledged ? `Acknowledged at ${alert.acknowledgedPriority ?? ''}` : 'Acknowledge'}
        </button>
        {alert.locked ? (
          <button type="button" className="btn" onClick={() => void unlock(v).catch(() => undefined)}>
            Unlock
          </button>
        ) : (
          <button type="button" className="btn" onClick={() => void lock(v).catch(() => undefined)}>
            Lock
          </button>
        )}
      </div>
      <ErrorAlert error={acked.error ?? locked.error ?? unlocked.error} />
    </div>
  )
}

function IssueList({ monitor, fetchMore }: { monitor: Monitor; fetchMore: (after: string) => Promise<unknown> }) {
  const [solve, solved] = useMutation(SOLVE_ISSUE)
  const issues = monitor.issues
  if (issues.nodes.length === 0) return <p className="muted">No issues in this state.</p>
  return (
    <>
      <ErrorAlert error={solved.error} />
      <ul className="list" aria-label="Issues" aria-describedby="issues-heading">
        {issues.nodes.map((is) => {
          const where = is.repository ? `${is.repository.name}${is.path ? ` ${is.path}` : ''}${is.commit ? `@${is.commit.slice(0, 7)}` : ''}` : is.key
          const link = is.repository ? (is.commit ? `${is.repository.url}/-/commit/${is.commit}` : is.path ? `${is.repository.url}/-/blob/${is.path}` : is.repository.url) : null
          return (
            <li key={is.id} className="list-row">
              <div className="list-main">
                {link ? <Link to={link}>{where}</Link> : where}
                <div className="muted">
                  {is.state.toLowerCase()} · opened <Time date={is.createdAt} />
                  {is.solvedAt ? (
                    <>
                      {' '}
                      · solved <Time date={is.solvedAt} />
                    </>
                  ) : null}
                </div>
              </div>
              {is.state === 'ACTIVE' ? (
                <button type="button" className="btn btn-small" onClick={() => void solve({ variables: { id: is.id } }).catch(() => undefined)}>
                  Solve<span className="visually-hidden"> {where}</span>
                </button>
              ) : null}
            </li>
          )
        })}
      </ul>
      <ShowMore pageInfo={issues.pageInfo} shown={issues.nodes.length} total={issues.totalCount} noun="issues" fetchMore={fetchMore} />
    </>
  )
}
