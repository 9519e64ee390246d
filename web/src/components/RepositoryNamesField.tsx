// A list of repository names typed with commas, with suggestions for the name being
// typed (the insight scope and the repositories a campaign patch applies to).
import { useQuery } from '@apollo/client/react'
import { parseRepositories } from './repositoryNames'
import { useDebounced } from './useDebounced'
import { REPO_SUGGESTIONS } from '../search/backend'

/** Repository names separated by commas, with suggestions for the one being typed. */
export function RepositoryNamesField({ text, onChange, onBlur, label = 'Repository names' }: { text: string; onChange: (t: string) => void; onBlur?: () => void; label?: string }) {
  const last = text.split(/[\s,]+/).pop() ?? ''
  const settled = useDebounced(last, 250)
  const { data } = useQuery(REPO_SUGGESTIONS, { variables: { query: settled }, skip: settled.length < 2 })
  const names = new Set(parseRepositories(text))
  const suggestions = (data?.repositories.nodes ?? []).filter((r) => !names.has(r.name) || r.name !== last)
  return (
    <div>
      <label>
        {label}
        <input value={text} onChange={(e) => onChange(e.target.value)} onBlur={onBlur} placeholder="github.com/acme/api, github.com/acme/web" spellCheck={false} autoComplete="off" />
        <span className="hint">Separate names with commas.</span>
      </label>
      {settled.length >= 2 && suggestions.length > 0 && settled === last ? (
        <ul className="suggestions" aria-label="Matching repositories">
          {suggestions.map((r) => (
            <li key={r.id}>
              <button type="button" className="btn-link" onClick={() => onChange(text.slice(0, text.length - last.length) + r.name + ', ')}>
                {r.name}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  )
}
