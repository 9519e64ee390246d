// /campaigns/plans/:planId: the plan preview. Each repository's diff with file stats
// (and, for a spec, its steps' log and error) while the worker computes them, then the
// campaign's name, branch and namespace, and "create" or "create as draft".
import { useMutation, useQuery } from '@apollo/client/react'
import { useState, type FormEvent } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { DiffStatText, FileDiffs } from '../components/FileDiffs'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { formatDuration } from '../components/Time'
import { useCurrentUser } from '../components/useCurrentUser'
import { usePollWhile } from '../components/usePollWhile'
import type { CampaignPlanQuery } from '../graphql/graphql'
import { CANCEL_PLAN, CREATE_CAMPAIGN, NAMESPACES, PLAN } from './backend'
import { branchFor } from './format'
import './campaigns.css'

/** How often a plan still being computed is read again. */
const PLAN_POLL_MS = 1000

type Plan = Extract<NonNullable<CampaignPlanQuery['node']>, { __typename: 'CampaignPlan' }>
type Job = Plan['jobs']['nodes'][number]

export function PlanPage() {
  const { planId = '' } = useParams()
  const query = useQuery(PLAN, { variables: { id: planId } })
  const { data, error, loading } = query
  const plan = data?.node?.__typename === 'CampaignPlan' ? data.node : null
  const processing = plan?.status.state === 'PROCESSING'
  usePollWhile(processing, PLAN_POLL_MS, query)
  if (loading && !data) return <Loading what="Loading the plan" />
  if (error && !data) {
    return (
      <Page title="Campaign plan">
        <ErrorAlert error={error} />
      </Page>
    )
  }
  if (!plan) return <NotFound what="campaign plan" />
  const jobs = plan.jobs.nodes
  const withDiff = jobs.filter((j) => j.fileDiffs && j.fileDiffs.files.length > 0)
  const total = plan.status.completedCount + plan.status.pendingCount
  return (
    <Page title="Preview the campaign's changes">
      <PlanStatus plan={plan} total={total} withDiff={withDiff.length} />
      {plan.campaign ? (
        <p className="alert alert-info">
          This plan is used by the campaign <Link to={`/campaigns/${encodeURIComponent(plan.campaign.id)}`}>{plan.campaign.name}</Link>.
        </p>
      ) : plan.status.state === 'CANCELED' ? null : (
        <CreateCampaignForm plan={plan} ready={!processing && withDiff.length > 0} specName={specField(plan.spec, 'name')} specBranch={specTemplateBranch(plan.spec)} />
      )}
      <h2>
        {jobs.length} repositor{jobs.length === 1 ? 'y' : 'ies'}
        {withDiff.length !== jobs.length ? `, ${withDiff.length} with changes` : ''}
      </h2>
      <div className="plan-jobs">
        {jobs.map((j) => (
          <PlanJob key={j.id} job={j} />
        ))}
      </div>
      {plan.spec ? (
        <details>
          <summary>The spec</summary>
          <pre className="code">{plan.spec}</pre>
        </details>
      ) : null}
    </Page>
  )
}

function PlanStatus({ plan, total, withDiff }: { plan: Plan; total: number; withDiff: number }) {
  const [cancel, canceling] = useMutation(CANCEL_PLAN)
  const s = plan.status
  return (
    <div aria-live="polite" data-plan-state={s.state}>
      {s.state === 'PROCESSING' ? (
        <div className="alert alert-info" role="status">
          Computing the diffs: {s.completedCount} of {total} repositories done.
          <progress max={total || 1} value={s.completedCount} aria-label="Plan progress" />{' '}
          {!plan.campaign ? (
            <button type="button" className="btn btn-small" disabled={canceling.loading} onClick={() => void cancel({ variables: { plan: plan.id } }).catch(() => undefined)}>
              Cancel the plan
            </button>
          ) : null}
        </div>
      ) : null}
      {s.state === 'COMPLETED' || s.state === 'ERRORED' ? (
        <p className={`alert ${withDiff > 0 ? 'alert-success' : 'alert-warning'}`} role="status">
          The plan is ready: {withDiff} repositor{withDiff === 1 ? 'y has' : 'ies have'} changes.
        </p>
      ) : null}
      {s.state === 'CANCELED' ? <p className="alert alert-warning">This plan was canceled.</p> : null}
      {s.errors.length > 0 ? (
        <div className="alert alert-error" role="alert">
          {s.errors.length} repositor{s.errors.length === 1 ? 'y' : 'ies'} failed{withDiff > 0 && s.state !== 'PROCESSING' ? ' (a campaign can still be created from the others)' : ''}:
          <ul>
            {s.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <ErrorAlert error={canceling.error} />
    </div>
  )
}

const jobStateNames: Record<string, string> = { QUEUED: 'queued', PROCESSING: 'running', ERRORED: 'failed, retrying', FAILED: 'failed', COMPLETED: 'done', CANCELED: 'canceled' }

function PlanJob({ job }: { job: Job }) {
  const files = job.fileDiffs?.files ?? []
  return (
    <section className="plan-job" aria-label={job.repository.name} data-repo={job.repository.name} data-state={job.state} data-files={files.length}>
      <header className="plan-job-header">
        <h3>
          <Link to={job.repository.url}>{job.repository.name}</Link>
        </h3>
        <span className={`badge badge-job-${job.state.toLowerCase()}`}>{jobStateNames[job.state] ?? job.state.toLowerCase()}</span>
        {job.diffStat ? <DiffStatText added={job.diffStat.added} deleted={job.diffStat.deleted} /> : null}
        <span className="muted">
          on {job.baseRef.replace(/^refs\/heads\//, '')}
          {job.baseRevision ? ` at ${job.baseRevision.slice(0, 10)}` : ''}
        </span>
      </header>
      {job.error ? (
        <pre className="alert alert-error job-error" role="alert">
          {job.error}
        </pre>
      ) : null}
      {job.state === 'COMPLETED' && files.length === 0 ? <p className="muted">No changes in this repository: it gets no changeset.</p> : null}
      {files.length > 0 ? (
        <details open={files.length <= 5}>
          <summary>
            {files.length} changed file{files.length === 1 ? '' : 's'}: {files.map((f) => f.newPath ?? f.oldPath).join(', ')}
          </summary>
          {job.fileDiffs?.truncated ? <p className="alert alert-warning">The diff is larger than 1 MiB: later changes are not shown.</p> : null}
          <FileDiffs files={files} stats level={4} />
        </details>
      ) : null}
      {job.log.length > 0 ? (
        <details className="step-log">
          <summary>Steps log ({job.log.length} step{job.log.length === 1 ? '' : 's'})</summary>
          <ol>
            {job.log.map((l, i) => (
              <li key={i}>
                <code>{l.command.join(' ')}</code>{' '}
                <span className={l.exitCode == null ? 'muted' : l.exitCode === 0 ? 'ok' : 'field-error'}>
                  {l.exitCode == null ? 'running' : `exit ${l.exitCode}`}
                  {l.durationMilliseconds != null ? `, ${formatDuration(l.durationMilliseconds)}` : ''}
                </span>
                {l.out ? <pre className="code">{l.out}</pre> : null}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </section>
  )
}

/** The value of a top-level key of a simple YAML spec (for the form's defaults). */
function specField(spec: string | null, key: string): string {
  const m = spec ? new RegExp(`^${key}:\\s*(.+)$`, 'm').exec(spec) : null
  return m?.[1]?.trim().replace(/^['"]|['"]$/g, '') ?? ''
}

function specTemplateBranch(spec: string | null): string {
  const m = spec ? /^changesetTemplate:[\s\S]*?^\s+branch:\s*(.+)$/m.exec(spec) : null
  return m?.[1]?.trim().replace(/^['"]|['"]$/g, '') ?? ''
}

function CreateCampaignForm({ plan, ready, specName, specBranch }: { plan: Plan; ready: boolean; specName: string; specBranch: string }) {
  const user = useCurrentUser()
  const navigate = useNavigate()
  const namespaces = useQuery(NAMESPACES)
  const [name, setName] = useState(specName)
  const [description, setDescription] = useState('')
  const [branch, setBranch] = useState<string | null>(null)
  const [namespace, setNamespace] = useState(user.id)
  const [create, creating] = useMutation(CREATE_CAMPAIGN)
  const branchValue = branch ?? (specBranch || branchFor(name))
  const submit = (draft: boolean) => (e?: FormEvent) => {
    e?.preventDefault()
    void create({ variables: { input: { namespace, name: name.trim(), description, branch: branchValue.trim() || undefined, plan: plan.id, draft } } }).then((r) => {
      const id = r.data?.createCampaign.id
      if (id) void navigate(`/campaigns/${encodeURIComponent(id)}`)
    }, () => undefined)
  }
  const orgs = namespaces.data?.currentUser?.organizations.nodes ?? []
  return (
    <form className="form create-campaign" onSubmit={submit(false)} aria-label="Create the campaign">
      <fieldset>
        <legend>Campaign</legend>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Description
          <textarea className="prose" value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />
          <span className="hint">The body of each pull request.</span>
        </label>
        <label>
          Branch
          <input className="mono" value={branchValue} onChange={(e) => setBranch(e.target.value)} spellCheck={false} />
          <span className="hint">Pushed in every repository (with a -1, -2… suffix where it is taken).</span>
        </label>
        <label>
          Owner
          <select value={namespace} onChange={(e) => setNamespace(e.target.value)}>
            <option value={user.id}>{user.username}</option>
            {orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.displayName || o.name}
              </option>
            ))}
          </select>
        </label>
        <ErrorAlert error={creating.error} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!ready || creating.loading || !name.trim()}>
            Create campaign
          </button>
          <button type="button" className="btn" disabled={!ready || creating.loading || !name.trim()} onClick={() => submit(true)()}>
            Create as draft
          </button>
          {!ready ? <span className="hint">{plan.status.state === 'PROCESSING' ? 'Wait until every diff is computed.' : 'No repository has changes.'}</span> : null}
        </div>
        <p className="hint">A campaign pushes its branches and opens pull requests at once; a draft waits until you publish it.</p>
      </fieldset>
    </form>
  )
}
