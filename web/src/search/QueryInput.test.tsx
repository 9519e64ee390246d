import { ApolloClient, ApolloLink, InMemoryCache } from '@apollo/client'
import { ApolloProvider } from '@apollo/client/react'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { QueryInput } from './QueryInput'

// Only repo: suggestions ask the API; these tests never type repo:, so a link that
// fails loudly proves no request is made.
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: new ApolloLink(() => {
    throw new Error('unexpected request')
  }),
})

function Harness({ onSubmit }: { onSubmit: (q: string) => void }) {
  const [q, setQ] = useState('')
  return (
    <ApolloProvider client={client}>
      <QueryInput value={q} onChange={setQ} onSubmit={onSubmit} />
    </ApolloProvider>
  )
}

describe('QueryInput', () => {
  it('suggests filters as you type and takes one with the keyboard', async () => {
    const user = userEvent.setup()
    const submit = vi.fn()
    render(<Harness onSubmit={submit} />)
    const box = screen.getByRole('combobox', { name: 'Search query' })
    await user.type(box, 'TODO ty')
    expect(box).toHaveProperty('ariaExpanded', 'true')
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['type: what to search: file, path, repo, commit, diff'])
    await user.keyboard('{Enter}')
    expect(box).toHaveProperty('value', 'TODO type:')
    expect(submit).not.toHaveBeenCalled()

    // Values of the filter next; arrow keys move the selection.
    expect(screen.getAllByRole('option')).toHaveLength(5)
    await user.keyboard('{ArrowDown}{ArrowDown}')
    expect(screen.getAllByRole('option')[2]?.getAttribute('aria-selected')).toBe('true')
    await user.keyboard('{Tab}')
    expect(box).toHaveProperty('value', 'TODO type:repo ')
  })

  it('closes on Escape and submits on Enter', async () => {
    const user = userEvent.setup()
    const submit = vi.fn()
    render(<Harness onSubmit={submit} />)
    const box = screen.getByRole('combobox', { name: 'Search query' })
    await user.type(box, 'needle la')
    expect(screen.getAllByRole('option')).toHaveLength(1)
    await user.keyboard('{Escape}')
    expect(screen.queryAllByRole('option')).toHaveLength(0)
    await user.keyboard('{Enter}')
    expect(submit).toHaveBeenCalledWith('needle la')
  })
})
