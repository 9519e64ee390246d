import { ApolloClient, ApolloLink, InMemoryCache } from '@apollo/client'
import { ApolloProvider } from '@apollo/client/react'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { Observable } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { actionDraftOf, actionInput, actionProblem, ActionsEditor, keepsSavedUrl, newAction, type ActionDraft } from './ActionsEditor'

const savedSlack = actionDraftOf({
  __typename: 'MonitorSlackWebhook',
  id: 'slack-1',
  enabled: true,
  includeResults: false,
  url: 'https://hooks.slack.com/services/T0/B0/REDACTED',
  issueEvents: ['ALERT_CREATED'],
  minimumPriority: 'P2',
})

describe('saved actions', () => {
  it('send a saved Slack URL back as the API showed it, and check only new URLs', () => {
    expect(keepsSavedUrl(savedSlack)).toBe(true)
    expect(actionProblem(savedSlack)).toBeNull()
    expect(actionInput(savedSlack, 'owner')).toEqual({ slackWebhook: { enabled: true, includeResults: false, url: 'https://hooks.slack.com/services/T0/B0/REDACTED' } })
    // A saved URL on a host WEBHOOK_ALLOWED_HOSTS admits is the server's to judge.
    const local = { ...savedSlack, url: 'http://127.0.0.1:9/services/T/B/REDACTED', savedUrl: 'http://127.0.0.1:9/services/T/B/REDACTED' }
    expect(actionProblem(local)).toBeNull()
    expect(actionProblem({ ...savedSlack, url: 'https://hooks.slack.com/services/T9/B9/REDACTED' })).toMatch(/paste the whole new URL/)
    expect(actionProblem({ ...newAction('slackWebhook'), url: 'https://hooks.slack.com/services/T0/B0/REDACTED' })).toMatch(/paste the whole URL from Slack/)
    expect(actionProblem({ ...savedSlack, url: 'https://example.com/services/x' })).toMatch(/hooks\.slack\.com/)
    expect(actionProblem({ ...savedSlack, url: 'https://hooks.slack.com/services/T1/B1/new' })).toBeNull()
  })

  it("keep an email action's recipients, and a new one goes to the owner", () => {
    const saved = actionDraftOf({
      __typename: 'MonitorEmail',
      id: 'email-1',
      enabled: true,
      includeResults: true,
      priority: 'CRITICAL',
      header: 'hi',
      recipients: { nodes: [{ id: 'org-1', namespaceName: 'acme' }] },
      issueEvents: null,
      minimumPriority: null,
    })
    expect(actionInput(saved, 'admin')).toEqual({ email: { enabled: true, includeResults: true, priority: 'CRITICAL', recipients: ['org-1'], header: 'hi' } })
    expect(actionInput(newAction('email'), 'alice').email?.recipients).toEqual(['alice'])
  })

  it("keep an issue monitor action's events and minimum priority", () => {
    expect(savedSlack.issueEvents).toEqual(['ALERT_CREATED'])
    expect(savedSlack.minimumPriority).toBe('P2')
  })
})

/** The editor with one action, over a client that records the test sends. */
function renderEditor(initial: ActionDraft) {
  const sent: Record<string, unknown>[] = []
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: new ApolloLink(
      (op) =>
        new Observable((o) => {
          sent.push({ operation: op.operationName, ...op.variables })
          o.next({ data: { triggerTestSlackWebhookAction: { __typename: 'EmptyResponse', alwaysNil: null } } })
          o.complete()
        }),
    ),
  })
  function Harness() {
    const [actions, setActions] = useState([initial])
    return (
      <ApolloProvider client={client}>
        <ActionsEditor actions={actions} onChange={setActions} namespace="user-1" description="Leaked keys" />
      </ApolloProvider>
    )
  }
  render(<Harness />)
  return sent
}

describe('ActionsEditor', () => {
  it('tests a saved Slack action through its id, and a new URL typed over it as typed', async () => {
    const user = userEvent.setup()
    const sent = renderEditor(savedSlack)
    expect(screen.getByText(/The saved URL is kept/)).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Send test notification' }))
    await screen.findByText('Test notification sent.')
    expect(sent).toEqual([
      {
        operation: 'TestSlackAction',
        namespace: 'user-1',
        description: 'Leaked keys',
        slackWebhook: { enabled: true, includeResults: false, url: 'https://hooks.slack.com/services/T0/B0/REDACTED' },
        action: 'slack-1',
      },
    ])

    // Half an edit: a redacted URL that is not the saved one cannot be tested or saved.
    const field = screen.getByLabelText('Slack URL')
    await user.clear(field)
    await user.type(field, 'https://hooks.slack.com/services/T9/B9/REDACTED')
    expect(screen.getByRole('button', { name: /Send test notification|send again/ })).toHaveProperty('disabled', true)
    expect(screen.getAllByText(/paste the whole new URL/).length).toBeGreaterThan(0)

    await user.clear(field)
    await user.type(field, 'https://hooks.slack.com/services/T1/B1/fresh')
    await user.click(screen.getByRole('button', { name: /send again/ }))
    await screen.findByText('Test notification sent.')
    expect(sent[1]).toMatchObject({ slackWebhook: { url: 'https://hooks.slack.com/services/T1/B1/fresh' }, action: null })
  })
})
