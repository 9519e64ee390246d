import { ApolloClient, ApolloLink, InMemoryCache } from '@apollo/client'
import { ApolloProvider } from '@apollo/client/react'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { MemoryRouter } from 'react-router'
import { Observable } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { expensiveLane } from '../expensiveLane'
import { TriggerField } from './TriggerField'

const busy = {
  errors: [{ message: 'too many expensive operations (searches, previews) at once for this user', extensions: { code: 'RATE_LIMITED' } }],
}
const found = {
  data: { search: { __typename: 'Search', results: { __typename: 'SearchResults', matchCount: 3, limitHit: false, results: [] } } },
}

/** The field over a server that answers the previews from answers, in turn. */
function renderField(answers: object[]) {
  const queries: string[] = []
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.from([
      expensiveLane(),
      new ApolloLink(
        (op) =>
          new Observable((o) => {
            queries.push(String(op.variables['query']))
            o.next(answers[Math.min(queries.length, answers.length) - 1] as never)
            o.complete()
          }),
      ),
    ]),
  })
  function Harness() {
    const [q, setQ] = useState('')
    return (
      <ApolloProvider client={client}>
        <MemoryRouter>
          <TriggerField query={q} onChange={setQ} />
        </MemoryRouter>
      </ApolloProvider>
    )
  }
  render(<Harness />)
  return queries
}

describe('TriggerField', () => {
  it('previews once the query has settled, not per keystroke', async () => {
    const user = userEvent.setup()
    const queries = renderField([found])
    await user.type(screen.getByLabelText('Search query'), 'type:diff callOldAPI')
    await screen.findByText(/Preview:/, undefined, { timeout: 3000 })
    expect(queries).toEqual(['type:diff callOldAPI count:5'])
  })

  it('shows a busy slot in place, with a retry that runs the preview again', async () => {
    const user = userEvent.setup()
    const queries = renderField([busy, found])
    await user.type(screen.getByLabelText('Search query'), 'type:diff x')
    const alert = await screen.findByRole('alert', undefined, { timeout: 3000 })
    expect(alert.textContent).toMatch(/Lookout is busy with another search of yours/)
    expect(alert.textContent).not.toMatch(/not valid/)
    expect(screen.getByLabelText('Search query').getAttribute('aria-invalid')).toBe('false')
    await user.click(screen.getByRole('button', { name: 'Try again' }))
    await screen.findByText(/Preview:/)
    expect(queries).toEqual(['type:diff x count:5', 'type:diff x count:5'])
    expect(screen.queryByRole('alert')).toBeNull()
  })
})
