import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link, Navigate, useNavigate, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Toggle } from '../components/Toggle'
import { useCurrentUser } from '../components/useCurrentUser'
import type { CodeMonitorQuery } from '../graphql/graphql'
import { actionDraftOf, actionInput, actionProblem, ActionsEditor, newAction, type ActionDraft } from './ActionsEditor'
import { CODE_MONITOR, CODE_MONITORS, CREATE_CODE_MONITOR, DELETE_CODE_MONITOR, UPDATE_CODE_MONITOR } from './backend'
import { TriggerField } from './TriggerField'
import { triggerChecks } from './triggerChecks'

interface Draft {
  description: string
  query: string
  enabled: boolean
  actions: ActionDraft[]
}

export function CreateCodeMonitorPage() {
  const params = new URLSearchParams(window.location.search)
  const initial: Draft = {
    description: params.get('description') ?? '',
    query: params.get('trigger-query') ?? '',
    enabled: true,
    actions: [newAction('email')],
  }
  return (
    <Page title="Create a code monitor">
      <MonitorForm initial={initial} />
    </Page>
  )
}

type MonitorNode = Extract<NonNullable<CodeMonitorQuery['node']>, { __typename: 'Monitor' }>

/** /code-monitoring/:id: the code monitor's form; an issue monitor's link goes to its page. */
export function MonitorPage() {
  const { id = '' } = useParams()
  const { data, error, loading } = useQuery(CODE_MONITOR, { variables: { id } })
  const node = data?.node
  if (error) return <Page title="Code monitor"><ErrorAlert error={error} /></Page>
  if (loading && !node) return <Loading what="Loading the monitor" />
  if (!node || node.__typename !== 'Monitor') return <NotFound what="code monitor" />
  if (node.issueTracking) return <Navigate to={`/issue-monitoring/${encodeURIComponent(id)}`} replace />
  return (
    <Page
      title={`Code monitor: ${node.description}`}
      actions={
        <Link className="btn" to={`/code-monitoring/${encodeURIComponent(id)}/logs`}>
          Logs
        </Link>
      }
    >
      <MonitorForm key={node.id} monitor={node} initial={draftOf(node)} />
    </Page>
  )
}

function draftOf(m: MonitorNode): Draft {
  return {
    description: m.description,
    query: m.trigger.query,
    enabled: m.enabled,
    actions: m.actions.nodes.map(actionDraftOf),
  }
}

function MonitorForm({ monitor, initial }: { monitor?: MonitorNode; initial: Draft }) {
  const user = useCurrentUser()
  const navigate = useNavigate()
  const [draft, setDraft] = useState<Draft>(initial)
  const [secrets, setSecrets] = useState<{ url: string; secret: string }[] | null>(null)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const refetchQueries = [{ query: CODE_MONITORS, variables: { first: 50 } }]
  const [create, created] = useMutation(CREATE_CODE_MONITOR, { refetchQueries })
  const [update, updated] = useMutation(UPDATE_CODE_MONITOR)
  const [remove, removed] = useMutation(DELETE_CODE_MONITOR, { refetchQueries })
  const namespace = monitor?.owner.id ?? user.id
  const triggerDone = triggerChecks(draft.query).every((c) => c.ok)
  const dirty = JSON.stringify(draft) !== JSON.stringify(initial)
  const problems = [
    !draft.description.trim() && 'Give the monitor a name.',
    !triggerDone && 'Finish the trigger query.',
    draft.actions.length === 0 && 'Add at least one action.',
    ...draft.actions.map(actionProblem),
  ].filter(Boolean) as string[]
  const saving = created.loading || updated.loading

  const save = async (e: React.FormEvent) => {
    e.preventDefault()
    if (problems.length) return
    const monitorInput = { namespace, description: draft.description.trim(), enabled: draft.enabled }
    const saved = monitor
      ? (
          await update({
            variables: {
              monitor: { id: monitor.id, update: monitorInput },
              trigger: { id: monitor.trigger.id, update: { query: draft.query.trim() } },
              actions: draft.actions.map((a) => {
                const { email, webhook, slackWebhook } = actionInput(a, namespace)
                if (email) return { email: { id: a.id, update: email } }
                if (webhook) return { webhook: { id: a.id, update: webhook } }
                return { slackWebhook: slackWebhook ? { id: a.id, update: slackWebhook } : null }
              }),
            },
          })
        ).data?.updateCodeMonitor
      : (
          await create({
            variables: { monitor: monitorInput, trigger: { query: draft.query.trim() }, actions: draft.actions.map((a) => actionInput(a, namespace)) },
          })
        ).data?.createCodeMonitor
    if (!saved) return
    const fresh = saved.actions.nodes.flatMap((a) => (a.__typename === 'MonitorWebhook' && a.secret ? [{ url: a.url, secret: a.secret }] : []))
    if (fresh.length) {
      setSecrets(fresh) // shown once: stay here so they can be copied
    } else {
      void navigate('/code-monitoring')
    }
  }

  if (secrets) {
    return (
      <div className="alert alert-success" role="status">
        <p>The monitor is saved. Each webhook request is signed with X-Lookout-Signature (HMAC-SHA256 of the body). Copy the signing secret now: it is not shown again.</p>
        {secrets.map((s) => (
          <p key={s.url}>
            <strong>{s.url}</strong>
            <br />
            <code className="secret" aria-label={`Signing secret of ${s.url}`}>
              {s.secret}
            </code>
          </p>
        ))}
        <Link to="/code-monitoring">Go to your code monitors</Link>
      </div>
    )
  }

  return (
    <form className="form" onSubmit={(e) => void save(e)} noValidate>
      <label>
        Name
        <input value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} required maxLength={255} />
      </label>
      <p className="hint">Owner: {monitor?.owner.namespaceName ?? user.username}</p>
      <TriggerField query={draft.query} onChange={(query) => setDraft({ ...draft, query })} />
      <ActionsEditor
        actions={draft.actions}
        onChange={(actions) => setDraft({ ...draft, actions })}
        namespace={namespace}
        description={draft.description}
        disabled={!triggerDone}
      />
      <Toggle label="Active" checked={draft.enabled} onChange={(enabled) => setDraft({ ...draft, enabled })} />
      {problems.length && dirty ? (
        <ul className="hint" aria-label="Before saving">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <ErrorAlert error={created.error ?? updated.error} prefix="Could not save" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={saving || problems.length > 0 || (monitor !== undefined && !dirty)}>
          {saving ? 'Saving…' : monitor ? 'Save' : 'Create code monitor'}
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            if (!dirty || window.confirm('Discard your changes?')) void navigate('/code-monitoring')
          }}
        >
          Cancel
        </button>
        {monitor ? (
          <button type="button" className="btn btn-danger" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        ) : null}
      </div>
      {monitor && confirmDelete ? (
        <div className="alert alert-warning" role="alertdialog" aria-label="Delete this monitor?">
          <p>Delete the monitor “{monitor.description}” with its runs and actions? This cannot be undone.</p>
          <div className="form-actions">
            <button
              type="button"
              className="btn btn-danger"
              disabled={removed.loading}
              onClick={() =>
                void remove({ variables: { id: monitor.id } })
                  .then(() => navigate('/code-monitoring'))
                  .catch(() => undefined)
              }
            >
              Yes, delete it
            </button>
            <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </div>
          <ErrorAlert error={removed.error} />
        </div>
      ) : null}
    </form>
  )
}
