import { useQuery } from '@apollo/client/react'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { formatDuration, Time } from '../components/Time'
import { BACKGROUND_JOBS } from './backend'

/** Queues, live workers and periodic routines, refreshed every 5 seconds. */
export function BackgroundJobsPage() {
  const { data, error, loading } = useQuery(BACKGROUND_JOBS, { pollInterval: 5000 })
  const jobs = data?.backgroundJobs
  return (
    <Page title="Background jobs">
      <ErrorAlert error={error} />
      {loading && !jobs ? <Loading what="Loading the background jobs" /> : null}
      {jobs ? (
        <>
          <h2 id="queues">Queues</h2>
          <div className="table-wrap">
            <table aria-labelledby="queues">
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col" className="num">Queued</th>
                  <th scope="col">Oldest queued</th>
                  <th scope="col" className="num">Processing</th>
                  <th scope="col" className="num">Failed (1 h)</th>
                  <th scope="col" className="num">Errored (1 h)</th>
                  <th scope="col">Handlers per worker</th>
                </tr>
              </thead>
              <tbody>
                {jobs.queues.map((q) => (
                  <tr key={q.name}>
                    <th scope="row">
                      {q.name} <span className="hint mono">{q.table}</span>
                    </th>
                    <td className="num">{q.queued}</td>
                    <td>{q.oldestQueuedAgeSeconds != null ? formatDuration(q.oldestQueuedAgeSeconds * 1000) : '—'}</td>
                    <td className="num">{q.processing}</td>
                    <td className="num">{q.failedLastHour}</td>
                    <td className="num">{q.erroredLastHour}</td>
                    <td>{q.handlers.length ? q.handlers.map((h) => `${h.handlers} on ${h.hostname}`).join(', ') : <span className="muted">no live worker</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <h2 id="workers">Workers</h2>
          {jobs.workers.length === 0 ? (
            <p className="alert alert-warning">No worker is running: nothing dequeues jobs. Start one with `bin/worker`.</p>
          ) : (
            <div className="table-wrap">
              <table aria-labelledby="workers">
                <thead>
                  <tr>
                    <th scope="col">Host</th>
                    <th scope="col">Jobs</th>
                    <th scope="col">Started</th>
                    <th scope="col">Last heartbeat</th>
                  </tr>
                </thead>
                <tbody>
                  {jobs.workers.map((w) => (
                    <tr key={w.hostname}>
                      <th scope="row" className="mono">
                        {w.hostname}
                      </th>
                      <td>{w.jobs.join(', ')}</td>
                      <td>
                        <Time date={w.startedAt} />
                      </td>
                      <td>
                        <Time date={w.lastHeartbeatAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          <h2 id="routines">Periodic routines</h2>
          {jobs.routines.length === 0 ? (
            <p className="muted">No periodic routine has run yet.</p>
          ) : (
            <div className="table-wrap">
              <table aria-labelledby="routines">
                <thead>
                  <tr>
                    <th scope="col">Routine</th>
                    <th scope="col">Last run</th>
                    <th scope="col">Duration</th>
                    <th scope="col">On</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {jobs.routines.map((r) => (
                    <tr key={r.name}>
                      <th scope="row">{r.name}</th>
                      <td>
                        <Time date={r.lastStartedAt} />
                      </td>
                      <td>{r.durationMilliseconds != null ? formatDuration(r.durationMilliseconds) : 'running'}</td>
                      <td className="mono">{r.workerHostname}</td>
                      <td className={r.lastError ? 'field-error' : 'muted'}>{r.lastError ?? 'none'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </Page>
  )
}
