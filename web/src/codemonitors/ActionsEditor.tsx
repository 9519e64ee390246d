// The actions of a monitor (email, webhook, Slack), shared by the code and issue monitor
// forms: each card has its settings, enabled and include-results switches, and a "send
// test notification" button.
import { useMutation } from '@apollo/client/react'
import { useState } from 'react'
import { ErrorAlert } from '../components/ErrorAlert'
import { Toggle } from '../components/Toggle'
import type { MonitorActionInput } from '../graphql/graphql'
import { TEST_EMAIL_ACTION, TEST_SLACK_ACTION, TEST_WEBHOOK_ACTION } from './backend'

export type ActionKind = 'email' | 'webhook' | 'slackWebhook'

export interface ActionDraft {
  key: string
  id: string | null
  kind: ActionKind
  enabled: boolean
  includeResults: boolean
  url: string
  priority: 'NORMAL' | 'CRITICAL'
  header: string
}

export const actionLabels: Record<ActionKind, string> = { email: 'Email', webhook: 'Webhook', slackWebhook: 'Slack' }

let nextKey = 0
export function newAction(kind: ActionKind): ActionDraft {
  return { key: `new-${nextKey++}`, id: null, kind, enabled: true, includeResults: kind !== 'email', url: '', priority: 'NORMAL', header: '' }
}

/** Why an action cannot be saved or tested yet, or null. */
export function actionProblem(a: ActionDraft): string | null {
  if (a.kind === 'email') return null
  if (!a.url.trim()) return 'Enter the URL first.'
  try {
    const u = new URL(a.url)
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'The URL must be http or https.'
    if (a.kind === 'slackWebhook' && !(u.protocol === 'https:' && u.host === 'hooks.slack.com')) {
      return 'Slack webhook URLs start with https://hooks.slack.com/.'
    }
  } catch {
    return 'That is not a URL.'
  }
  return null
}

/** The input of an action for the API (what create, update and the tests take). */
export function actionInput(a: ActionDraft, userID: string): MonitorActionInput {
  if (a.kind === 'email') {
    return { email: { enabled: a.enabled, includeResults: a.includeResults, priority: a.priority, recipients: [userID], header: a.header } }
  }
  const hook = { enabled: a.enabled, includeResults: a.includeResults, url: a.url.trim() }
  return a.kind === 'webhook' ? { webhook: hook } : { slackWebhook: hook }
}

export function ActionsEditor({
  actions,
  onChange,
  namespace,
  description,
  disabled,
}: {
  actions: ActionDraft[]
  onChange: (actions: ActionDraft[]) => void
  namespace: string
  description: string
  disabled?: boolean
}) {
  const update = (key: string, patch: Partial<ActionDraft>) => onChange(actions.map((a) => (a.key === key ? { ...a, ...patch } : a)))
  return (
    <fieldset disabled={disabled}>
      <legend>Actions</legend>
      {disabled ? <p className="hint">Finish the trigger first.</p> : null}
      {actions.map((a) => (
        <ActionCard
          key={a.key}
          action={a}
          namespace={namespace}
          description={description}
          onChange={(patch) => update(a.key, patch)}
          onRemove={() => onChange(actions.filter((x) => x.key !== a.key))}
        />
      ))}
      <div className="form-actions">
        {(Object.keys(actionLabels) as ActionKind[]).map((kind) => (
          <button key={kind} type="button" className="btn" onClick={() => onChange([...actions, newAction(kind)])}>
            Add {actionLabels[kind].toLowerCase()} action
          </button>
        ))}
      </div>
    </fieldset>
  )
}

function ActionCard({
  action,
  namespace,
  description,
  onChange,
  onRemove,
}: {
  action: ActionDraft
  namespace: string
  description: string
  onChange: (patch: Partial<ActionDraft>) => void
  onRemove: () => void
}) {
  const [testEmail] = useMutation(TEST_EMAIL_ACTION)
  const [testWebhook] = useMutation(TEST_WEBHOOK_ACTION)
  const [testSlack] = useMutation(TEST_SLACK_ACTION)
  const [testState, setTestState] = useState<'idle' | 'sending' | 'sent'>('idle')
  const [testError, setTestError] = useState<unknown>(null)
  const problem = actionProblem(action)
  const label = actionLabels[action.kind]
  const sendTest = async () => {
    setTestState('sending')
    setTestError(null)
    try {
      const input = actionInput(action, namespace)
      const desc = description.trim() || 'Untitled monitor'
      if (input.email) await testEmail({ variables: { namespace, description: desc, email: input.email } })
      else if (input.webhook) await testWebhook({ variables: { namespace, description: desc, webhook: input.webhook } })
      // A saved Slack action's URL comes back redacted: the action's id lets the server use
      // the stored URL.
      else if (input.slackWebhook) await testSlack({ variables: { namespace, description: desc, slackWebhook: input.slackWebhook, action: action.id } })
      setTestState('sent')
    } catch (err) {
      setTestError(err)
      setTestState('idle')
    }
  }
  return (
    <section className="action-card" aria-label={`${label} action`}>
      <h3>{label}</h3>
      {action.kind === 'email' ? (
        <>
          <p className="hint">Sent to your primary email address.</p>
          <label>
            Priority
            <select value={action.priority} onChange={(e) => onChange({ priority: e.target.value as ActionDraft['priority'] })}>
              <option value="NORMAL">Normal</option>
              <option value="CRITICAL">Critical</option>
            </select>
          </label>
          <label>
            Header <span className="hint">(optional text at the top of the email)</span>
            <input value={action.header} onChange={(e) => onChange({ header: e.target.value })} />
          </label>
        </>
      ) : (
        <label>
          {label} URL
          <input
            type="url"
            value={action.url}
            placeholder={action.kind === 'slackWebhook' ? 'https://hooks.slack.com/services/…' : 'https://example.com/hook'}
            aria-invalid={action.url !== '' && problem !== null}
            onChange={(e) => onChange({ url: e.target.value })}
          />
          {action.url !== '' && problem ? <span className="field-error">{problem}</span> : null}
        </label>
      )}
      <div className="form-actions">
        <Toggle label="Include results" checked={action.includeResults} onChange={(v) => onChange({ includeResults: v })} />
        <Toggle label="Enabled" checked={action.enabled} onChange={(v) => onChange({ enabled: v })} />
      </div>
      <div className="form-actions">
        <button type="button" className="btn" disabled={problem !== null || testState === 'sending'} onClick={() => void sendTest()} title={problem ?? undefined}>
          {testState === 'sending' ? 'Sending…' : testState === 'sent' ? 'Test sent: send again' : 'Send test notification'}
        </button>
        <button type="button" className="btn" onClick={onRemove}>
          Remove {label.toLowerCase()} action
        </button>
      </div>
      {problem && action.kind !== 'email' ? <p className="hint">The test is disabled: {problem}</p> : null}
      {testState === 'sent' ? <p role="status" className="hint">Test notification sent.</p> : null}
      <ErrorAlert error={testError} prefix="The test failed" />
    </section>
  )
}
