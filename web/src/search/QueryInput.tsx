import { useQuery } from '@apollo/client/react'
import { useId, useRef, useState } from 'react'
import { useDebounced } from '../components/useDebounced'
import { REPO_SUGGESTIONS } from './backend'
import { applySuggestion, filterOf, suggest, tokenAt, type Suggestion } from './suggest'

/**
 * The search box: a combobox that suggests filters and their values as you type
 * (arrow keys to choose, Enter or Tab to take one, Escape to close).
 */
export function QueryInput({ value, onChange, onSubmit }: { value: string; onChange: (q: string) => void; onSubmit: (q: string) => void }) {
  const [cursor, setCursor] = useState(value.length)
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(0)
  const input = useRef<HTMLInputElement>(null)
  const listID = useId()
  const token = tokenAt(value, cursor).text
  const repoFilter = filterOf(token)
  const repoPrefix = useDebounced(repoFilter && (repoFilter.name === 'repo' || repoFilter.name === 'r') ? repoFilter.value.replace(/^\^/, '') : null, 200)
  const repos = useQuery(REPO_SUGGESTIONS, { variables: { query: repoPrefix ?? '' }, skip: repoPrefix === null || repoPrefix === '' })
  let items: Suggestion[] = suggest(value, cursor)
  if (repoFilter && repoPrefix !== null && repos.data) {
    const prefix = `${repoFilter.negated ? '-' : ''}repo:`
    items = repos.data.repositories.nodes.map((r) => ({ insert: `${prefix}^${r.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$ `, label: r.name, detail: 'repository' }))
  }
  const shown = open && items.length > 0
  const take = (s: Suggestion) => {
    const next = applySuggestion(value, cursor, s.insert)
    onChange(next.query)
    setCursor(next.cursor)
    setActive(0)
    requestAnimationFrame(() => input.current?.setSelectionRange(next.cursor, next.cursor))
  }
  return (
    <div className="query-input">
      <input
        ref={input}
        role="combobox"
        aria-label="Search query"
        aria-expanded={shown}
        aria-controls={listID}
        aria-autocomplete="list"
        aria-activedescendant={shown ? `${listID}-${active}` : undefined}
        value={value}
        spellCheck={false}
        autoComplete="off"
        placeholder="repo:myorg/ lang:go TODO"
        onChange={(e) => {
          onChange(e.target.value)
          setCursor(e.target.selectionStart ?? e.target.value.length)
          setOpen(true)
          setActive(0)
        }}
        onSelect={(e) => setCursor(e.currentTarget.selectionStart ?? value.length)}
        onBlur={() => setOpen(false)}
        onKeyDown={(e) => {
          if (shown && e.key === 'ArrowDown') {
            e.preventDefault()
            setActive((active + 1) % items.length)
          } else if (shown && e.key === 'ArrowUp') {
            e.preventDefault()
            setActive((active - 1 + items.length) % items.length)
          } else if (shown && (e.key === 'Tab' || (e.key === 'Enter' && items[active]))) {
            const s = items[active]
            if (s) {
              e.preventDefault()
              take(s)
            }
          } else if (e.key === 'Escape') {
            setOpen(false)
          } else if (e.key === 'Enter') {
            e.preventDefault()
            setOpen(false)
            onSubmit(value)
          }
        }}
      />
      <ul id={listID} role="listbox" aria-label="Suggestions" className="suggestions" hidden={!shown}>
        {shown
          ? items.map((s, i) => (
              <li
                key={s.insert}
                id={`${listID}-${i}`}
                role="option"
                aria-selected={i === active}
                onMouseDown={(e) => {
                  e.preventDefault()
                  take(s)
                }}
              >
                <span className="mono">{s.label}</span> {s.detail ? <span className="hint">{s.detail}</span> : null}
              </li>
            ))
          : null}
      </ul>
    </div>
  )
}
