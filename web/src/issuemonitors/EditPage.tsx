import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { actionInput, actionProblem, ActionsEditor, type ActionDraft } from '../codemonitors/ActionsEditor'
import { actionDraftOf } from '../codemonitors/EditPage'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Toggle } from '../components/Toggle'
import { useCurrentUser } from '../components/useCurrentUser'
import type { AlertRuleKind, IssueIdentity, IssueTrackingFieldsFragment, IssueTrackingInput } from '../graphql/graphql'
import { CREATE_ISSUE_MONITOR, DELETE_ISSUE_MONITOR, ISSUE_MONITOR, ISSUE_MONITORS, UPDATE_ISSUE_MONITOR } from './backend'

const levels = ['critical', 'high', 'moderate', 'low', 'informational'] as const
const levelLabels: Record<(typeof levels)[number], string> = { critical: 'P1 critical', high: 'P2 high', moderate: 'P3 moderate', low: 'P4 low', informational: 'P5 informational' }

interface Draft {
  description: string
  enabled: boolean
  query: string
  identity: IssueIdentity
  searchSchedule: string
  updateSchedule: string
  maxIssuesPerRun: string
  solvable: boolean
  unique: boolean
  dismiss: boolean
  ruleKind: AlertRuleKind
  valueField: string
  operation: 'GREATER_THAN' | 'LESSER_THAN'
  levels: Record<(typeof levels)[number], string>
  actions: ActionDraft[]
}

const blank: Draft = {
  description: '',
  enabled: true,
  query: '',
  identity: 'DEFAULT',
  searchSchedule: '@every 15m',
  updateSchedule: '@every 5m',
  maxIssuesPerRun: '100',
  solvable: true,
  unique: false,
  dismiss: false,
  ruleKind: 'COUNT',
  valueField: '',
  operation: 'GREATER_THAN',
  levels: { critical: '', high: '', moderate: '', low: '0', informational: '' },
  actions: [],
}

function draftOf(description: string, enabled: boolean, it: IssueTrackingFieldsFragment, actions: ActionDraft[]): Draft {
  const lv = it.rule.levels
  const str = (v: number | null) => (v == null ? '' : String(v))
  return {
    description,
    enabled,
    query: it.query,
    identity: it.identity,
    searchSchedule: it.searchSchedule,
    updateSchedule: it.updateSchedule,
    maxIssuesPerRun: String(it.maxIssuesPerRun),
    solvable: it.solvable,
    unique: it.unique,
    dismiss: it.dismissAcknowledgeOnNewIssues,
    ruleKind: it.rule.kind,
    valueField: it.rule.valueField ?? '',
    operation: it.rule.operation,
    levels: { critical: str(lv.critical), high: str(lv.high), moderate: str(lv.moderate), low: str(lv.low), informational: str(lv.informational) },
    actions,
  }
}

/** Problems the form can see before the server checks (schedules and query are checked there). */
export function issueDraftProblems(d: Draft): string[] {
  const p: string[] = []
  if (!d.description.trim()) p.push('Give the monitor a name.')
  if (!d.query.trim()) p.push('Enter the search query whose results become issues.')
  if (!d.searchSchedule.trim() || !d.updateSchedule.trim()) p.push('Both schedules are required (cron, or @every 15m).')
  const max = Number(d.maxIssuesPerRun)
  if (!Number.isInteger(max) || max < 1) p.push('New issues per run must be a whole number of at least 1.')
  if (levels.every((l) => d.levels[l].trim() === '')) p.push('Set a threshold for at least one priority level.')
  for (const l of levels) if (d.levels[l].trim() !== '' && !Number.isFinite(Number(d.levels[l]))) p.push(`The ${levelLabels[l]} threshold must be a number.`)
  if (d.ruleKind === 'VALUE' && !d.valueField.trim()) p.push('A value rule needs the field to compare (like matchCount).')
  for (const a of d.actions) {
    const problem = actionProblem(a)
    if (problem) p.push(problem)
  }
  return p
}

function trackingInput(d: Draft): IssueTrackingInput {
  const level = (v: string) => (v.trim() === '' ? null : Number(v))
  return {
    query: d.query.trim(),
    identity: d.identity,
    searchSchedule: d.searchSchedule.trim(),
    updateSchedule: d.updateSchedule.trim(),
    maxIssuesPerRun: Number(d.maxIssuesPerRun),
    solvable: d.solvable,
    unique: d.unique,
    dismissAcknowledgeOnNewIssues: d.dismiss,
    rule: {
      kind: d.ruleKind,
      valueField: d.ruleKind === 'VALUE' ? d.valueField.trim() : null,
      operation: d.operation,
      levels: { critical: level(d.levels.critical), high: level(d.levels.high), moderate: level(d.levels.moderate), low: level(d.levels.low), informational: level(d.levels.informational) },
    },
  }
}

export function CreateIssueMonitorPage() {
  return (
    <Page title="Create an issue monitor">
      <IssueMonitorForm initial={blank} />
    </Page>
  )
}

export function EditIssueMonitorPage() {
  const { id = '' } = useParams()
  const { data, error, loading } = useQuery(ISSUE_MONITOR, { variables: { id, first: 1 }, fetchPolicy: 'network-only' })
  const node = data?.node
  if (error && !node) return <Page title="Edit issue monitor"><ErrorAlert error={error} /></Page>
  if (loading && !node) return <Loading />
  if (!node || node.__typename !== 'Monitor' || !node.issueTracking) return <NotFound what="issue monitor" />
  return (
    <Page title={`Edit: ${node.description}`}>
      <IssueMonitorForm id={node.id} namespace={node.owner.id} initial={draftOf(node.description, node.enabled, node.issueTracking, node.actions.nodes.map(actionDraftOf))} />
    </Page>
  )
}

function IssueMonitorForm({ id, namespace, initial }: { id?: string; namespace?: string; initial: Draft }) {
  const user = useCurrentUser()
  const navigate = useNavigate()
  const [d, setD] = useState<Draft>(initial)
  const [secrets, setSecrets] = useState<{ url: string; secret: string }[] | null>(null)
  const [savedID, setSavedID] = useState<string | null>(null)
  const refetchQueries = [{ query: ISSUE_MONITORS, variables: { first: 50 } }]
  const [create, created] = useMutation(CREATE_ISSUE_MONITOR, { refetchQueries })
  const [update, updated] = useMutation(UPDATE_ISSUE_MONITOR)
  const [remove, removed] = useMutation(DELETE_ISSUE_MONITOR, { refetchQueries })
  const ns = namespace ?? user.id
  const problems = issueDraftProblems(d)
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch })

  const save = async (e: React.FormEvent) => {
    e.preventDefault()
    if (problems.length) return
    const monitor = { namespace: ns, description: d.description.trim(), enabled: d.enabled }
    const actions = d.actions.map((a) => ({ ...actionInput(a, user.id), ...(id ? { id: a.id } : {}) }))
    const result = id
      ? (await update({ variables: { id, monitor, issueTracking: trackingInput(d), actions } }).catch(() => null))?.data?.updateIssueMonitor
      : (await create({ variables: { monitor, issueTracking: trackingInput(d), actions } }).catch(() => null))?.data?.createIssueMonitor
    if (!result) return
    const fresh = result.actions.nodes.flatMap((a) => ('secret' in a && a.secret ? [{ url: a.url, secret: a.secret }] : []))
    if (fresh.length) {
      setSavedID(result.id)
      setSecrets(fresh)
    } else {
      void navigate(`/issue-monitoring/${encodeURIComponent(result.id)}`)
    }
  }

  if (secrets && savedID) {
    return (
      <div className="alert alert-success" role="status">
        <p>Saved. Copy each webhook's signing secret now: it is not shown again.</p>
        {secrets.map((s) => (
          <p key={s.url}>
            <strong>{s.url}</strong>: <code className="secret">{s.secret}</code>
          </p>
        ))}
        <Link to={`/issue-monitoring/${encodeURIComponent(savedID)}`}>Go to the monitor</Link>
      </div>
    )
  }

  return (
    <form className="form" onSubmit={(e) => void save(e)} noValidate>
      <label>
        Name
        <input value={d.description} onChange={(e) => set({ description: e.target.value })} />
      </label>
      <fieldset>
        <legend>What is an issue</legend>
        <label>
          Search query <span className="hint">(each result is an issue until it no longer matches)</span>
          <input value={d.query} onChange={(e) => set({ query: e.target.value })} spellCheck={false} placeholder="lang:go exec.Command(" />
        </label>
        <label>
          Issue identity
          <select value={d.identity} onChange={(e) => set({ identity: e.target.value as IssueIdentity })}>
            <option value="DEFAULT">From the result (repository + path, or commit)</option>
            <option value="REPOSITORY">Repository</option>
            <option value="FILE">File</option>
            <option value="LINE">Line</option>
            <option value="COMMIT">Commit</option>
          </select>
        </label>
        <label>
          Search schedule
          <input value={d.searchSchedule} onChange={(e) => set({ searchSchedule: e.target.value })} />
        </label>
        <label>
          Update schedule <span className="hint">(re-checks active issues)</span>
          <input value={d.updateSchedule} onChange={(e) => set({ updateSchedule: e.target.value })} />
        </label>
        <label>
          New issues per run
          <input inputMode="numeric" value={d.maxIssuesPerRun} onChange={(e) => set({ maxIssuesPerRun: e.target.value })} />
        </label>
        <Toggle label="Solved automatically when the result is gone" checked={d.solvable} onChange={(solvable) => set({ solvable })} />
        <Toggle label="Never raise a solved issue again" checked={d.unique} onChange={(unique) => set({ unique })} />
      </fieldset>
      <fieldset>
        <legend>Alert priority</legend>
        <label>
          Rule
          <select value={d.ruleKind} onChange={(e) => set({ ruleKind: e.target.value as AlertRuleKind })}>
            <option value="COUNT">Number of active issues</option>
            <option value="AGE">Age of the oldest active issue (seconds)</option>
            <option value="VALUE">A value of each issue</option>
          </select>
        </label>
        {d.ruleKind === 'VALUE' ? (
          <>
            <label>
              Value field
              <input value={d.valueField} onChange={(e) => set({ valueField: e.target.value })} placeholder="matchCount" />
            </label>
            <label>
              Comparison
              <select value={d.operation} onChange={(e) => set({ operation: e.target.value as Draft['operation'] })}>
                <option value="GREATER_THAN">greater than</option>
                <option value="LESSER_THAN">less than</option>
              </select>
            </label>
          </>
        ) : null}
        <p className="hint">A level is reached when the value is above its threshold (equal does not count); leave a level empty to never use it.</p>
        {levels.map((l) => (
          <label key={l}>
            {levelLabels[l]} threshold
            <input inputMode="decimal" value={d.levels[l]} onChange={(e) => set({ levels: { ...d.levels, [l]: e.target.value } })} />
          </label>
        ))}
        <Toggle label="New issues dismiss an acknowledgement" checked={d.dismiss} onChange={(dismiss) => set({ dismiss })} />
      </fieldset>
      <ActionsEditor actions={d.actions} onChange={(actions) => set({ actions })} namespace={ns} description={d.description} />
      <Toggle label="Active" checked={d.enabled} onChange={(enabled) => set({ enabled })} />
      {problems.length ? (
        <ul className="hint" aria-label="Before saving">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <ErrorAlert error={created.error ?? updated.error ?? removed.error} prefix="Could not save" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={problems.length > 0 || created.loading || updated.loading}>
          {id ? 'Save' : 'Create issue monitor'}
        </button>
        {id ? (
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => {
              if (window.confirm('Delete this issue monitor with its issues, alerts and events?')) {
                void remove({ variables: { id } })
                  .then(() => navigate('/issue-monitoring'))
                  .catch(() => undefined)
              }
            }}
          >
            Delete
          </button>
        ) : null}
      </div>
    </form>
  )
}
