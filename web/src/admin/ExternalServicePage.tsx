import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Time } from '../components/Time'
import type { ExternalServiceFieldsFragment } from '../graphql/graphql'
import { ADD_EXTERNAL_SERVICE, DELETE_EXTERNAL_SERVICE, EXTERNAL_SERVICE, EXTERNAL_SERVICES, SYNC_EXTERNAL_SERVICE, UPDATE_EXTERNAL_SERVICE } from './backend'
import { checkConfig, exampleConfigs, kindLabels, newWebhookSecret, type Kind } from './configCheck'

/** The configuration editor, checked as the admin types. */
function ConfigField({ kind, value, onChange }: { kind: Kind; value: string; onChange: (v: string) => void }) {
  const problems = checkConfig(kind, value)
  return (
    <label>
      Configuration (JSON)
      <textarea value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} rows={10} aria-invalid={problems.length > 0} aria-describedby="config-problems" />
      <span id="config-problems" aria-live="polite">
        {problems.length ? (
          <ul className="field-error">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : (
          <span className="hint">The configuration looks valid.</span>
        )}
      </span>
    </label>
  )
}

/** The webhook URL and secret of a connection just created: the secret is shown once. */
function CreatedNotice({ service, secret }: { service: ExternalServiceFieldsFragment; secret: string | null }) {
  return (
    <div className="alert alert-success" role="status">
      <p>
        The connection “{service.displayName}” is added; its repositories are being synced and cloned.{' '}
        <Link to="/site-admin/repositories">See the repositories</Link>
      </p>
      <p>
        Send push webhooks to <code className="secret">{service.webhookURL}</code>
      </p>
      {secret ? (
        <p>
          signed with this secret, shown only now: <code className="secret">{secret}</code>
        </p>
      ) : null}
    </div>
  )
}

export function NewExternalServicePage() {
  const [kind, setKind] = useState<Kind>('GIT')
  const [displayName, setDisplayName] = useState('')
  const [config, setConfig] = useState(exampleConfigs.GIT)
  const [created, setCreated] = useState<{ service: ExternalServiceFieldsFragment; secret: string | null } | null>(null)
  const [add, { loading, error }] = useMutation(ADD_EXTERNAL_SERVICE, { refetchQueries: [{ query: EXTERNAL_SERVICES, variables: { first: 50 } }] })
  const problems = checkConfig(kind, config)
  if (created) {
    return (
      <Page title="Connection added">
        <CreatedNotice service={created.service} secret={created.secret} />
      </Page>
    )
  }
  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    if (problems.length || !displayName.trim()) return
    // A secret the admin did not choose is generated here, so pushes can be verified.
    const parsed = JSON.parse(config) as Record<string, unknown>
    let secret: string | null = null
    if (typeof parsed['webhookSecret'] !== 'string' || parsed['webhookSecret'] === '') {
      secret = newWebhookSecret()
      parsed['webhookSecret'] = secret
    } else {
      secret = parsed['webhookSecret']
    }
    const result = await add({ variables: { input: { kind, displayName: displayName.trim(), config: JSON.stringify(parsed, null, 2) } } }).catch(() => null)
    if (result?.data) setCreated({ service: result.data.addExternalService, secret })
  }
  return (
    <Page title="Add a code host connection">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <label>
          Kind
          <select
            value={kind}
            onChange={(e) => {
              const k = e.target.value as Kind
              if (config === exampleConfigs[kind]) setConfig(exampleConfigs[k])
              setKind(k)
            }}
          >
            {(Object.keys(kindLabels) as Kind[]).map((k) => (
              <option key={k} value={k}>
                {kindLabels[k]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Display name
          <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} required />
        </label>
        <ConfigField kind={kind} value={config} onChange={setConfig} />
        <ErrorAlert error={error} prefix="Could not add the connection" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={loading || problems.length > 0 || !displayName.trim()}>
            {loading ? 'Adding…' : 'Add connection'}
          </button>
        </div>
      </form>
    </Page>
  )
}

export function ExternalServicePage() {
  const { id = '' } = useParams()
  const { data, error, loading } = useQuery(EXTERNAL_SERVICE, { variables: { id }, pollInterval: 10000 })
  const node = data?.node
  if (error && !node) return <Page title="Code host connection"><ErrorAlert error={error} /></Page>
  if (loading && !node) return <Loading />
  if (!node || node.__typename !== 'ExternalService') return <NotFound what="connection" />
  return (
    <Page title={node.displayName}>
      <EditForm key={node.id} service={node} />
      <h2>Recent syncs</h2>
      <ul>
        {node.syncJobs.map((j, i) => (
          <li key={i}>
            {j.state} <Time date={j.finishedAt ?? j.queuedAt} />
            {j.reposAdded != null ? ` · ${j.reposAdded} added, ${j.reposRemoved ?? 0} removed` : ''}
            {j.failureMessage ? <span className="field-error"> · {j.failureMessage}</span> : null}
          </li>
        ))}
      </ul>
    </Page>
  )
}

function EditForm({ service }: { service: ExternalServiceFieldsFragment }) {
  const navigate = useNavigate()
  const [displayName, setDisplayName] = useState(service.displayName)
  const [config, setConfig] = useState(service.config)
  const [update, updated] = useMutation(UPDATE_EXTERNAL_SERVICE)
  const [sync, synced] = useMutation(SYNC_EXTERNAL_SERVICE)
  const [remove, removed] = useMutation(DELETE_EXTERNAL_SERVICE, { refetchQueries: [{ query: EXTERNAL_SERVICES, variables: { first: 50 } }] })
  const [confirm, setConfirm] = useState(false)
  const problems = checkConfig(service.kind, config)
  return (
    <form
      className="form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        void update({ variables: { input: { id: service.id, displayName, config } } }).catch(() => undefined)
      }}
    >
      <p className="muted">
        {kindLabels[service.kind]} · {service.repoCount} repositories · webhooks to <code>{service.webhookURL}</code>
      </p>
      {service.lastSyncError ? <p className="alert alert-error">Last sync failed: {service.lastSyncError}</p> : null}
      <label>
        Display name
        <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
      </label>
      <ConfigField kind={service.kind} value={config} onChange={setConfig} />
      <p className="hint">Secrets show as REDACTED; leave them so to keep the stored values.</p>
      <ErrorAlert error={updated.error ?? synced.error ?? removed.error} />
      {updated.data ? <p role="status">Saved.</p> : null}
      {synced.data ? <p role="status">A sync is queued.</p> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={updated.loading || problems.length > 0}>
          Save
        </button>
        <button type="button" className="btn" onClick={() => void sync({ variables: { id: service.id } }).catch(() => undefined)}>
          Sync now
        </button>
        <button type="button" className="btn btn-danger" onClick={() => setConfirm(true)}>
          Delete
        </button>
      </div>
      {confirm ? (
        <div className="alert alert-warning" role="alertdialog" aria-label="Delete this connection?">
          <p>Delete “{service.displayName}” and the repositories only it provides?</p>
          <button
            type="button"
            className="btn btn-danger"
            onClick={() =>
              void remove({ variables: { id: service.id } })
                .then(() => navigate('/site-admin/external-services'))
                .catch(() => undefined)
            }
          >
            Yes, delete it
          </button>{' '}
          <button type="button" className="btn" onClick={() => setConfirm(false)}>
            Keep it
          </button>
        </div>
      ) : null}
    </form>
  )
}
