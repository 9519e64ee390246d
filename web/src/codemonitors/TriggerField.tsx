import { useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { ErrorAlert, isQueryError } from '../components/ErrorAlert'
import { useDebounced } from '../components/useDebounced'
import { TRIGGER_PREVIEW } from './backend'
import { triggerChecks } from './triggerChecks'

/**
 * The trigger query with its live checklist and a preview of what it matches now (a
 * debounced search, which also reports syntax errors with their position). The preview
 * is a search, which the server runs one at a time per user: it is asked for only once
 * the query has settled, a changed query aborts the preview in flight (Apollo unsubscribes
 * it), and the app's expensive lane (expensiveLane.ts) keeps it behind any other search
 * of the page. A preview that found the user's slot busy too long says so, with a retry.
 */
export function TriggerField({ query, onChange }: { query: string; onChange: (q: string) => void }) {
  const checks = triggerChecks(query)
  const settled = useDebounced(query.trim(), 500)
  const checksPass = triggerChecks(settled).every((c) => c.ok)
  const preview = useQuery(TRIGGER_PREVIEW, { variables: { query: `${settled} count:5` }, skip: !checksPass, fetchPolicy: 'network-only' })
  const results = preview.data?.search?.results
  const valid = checks.every((c) => c.ok) && !isQueryError(preview.error)
  return (
    <fieldset>
      <legend>Trigger</legend>
      <label>
        Search query
        <input
          value={query}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby="trigger-checks"
          aria-invalid={query !== '' && !valid}
          placeholder="type:diff repo:myorg/ TODO"
          spellCheck={false}
        />
      </label>
      <ul id="trigger-checks" className="checks" aria-label="Query checks">
        {checks.map((c) => (
          <li key={c.id} className={c.ok ? 'ok' : undefined}>
            {c.label}
            {c.ok ? <span className="visually-hidden"> (done)</span> : <span className="hint"> — {c.hint}</span>}
          </li>
        ))}
      </ul>
      {checksPass ? (
        <div aria-live="polite">
          <ErrorAlert
            error={preview.error}
            prefix={isQueryError(preview.error) ? 'The query is not valid' : 'The preview failed'}
            onRetry={isQueryError(preview.error) ? undefined : () => void preview.refetch().catch(() => undefined)}
          />
          {results ? (
            <div className="preview">
              <strong>Preview:</strong> {results.matchCount}
              {results.limitHit ? '+' : ''} result{results.matchCount === 1 ? '' : 's'} match now (a monitor notifies only about new ones).
              <ul>
                {results.results.map((r) =>
                  r.__typename === 'CommitSearchResult' ? (
                    <li key={r.commit.id}>
                      <Link to={r.url}>
                        {r.commit.repository.name}@{r.commit.abbreviatedOID}
                      </Link>{' '}
                      {r.commit.subject}
                    </li>
                  ) : null,
                )}
              </ul>
              <Link to={`/search?q=${encodeURIComponent(settled)}`} target="_blank" rel="noopener">
                Preview all results (opens in a new tab)
              </Link>
            </div>
          ) : preview.loading ? (
            <p className="hint">Checking the query…</p>
          ) : null}
        </div>
      ) : null}
    </fieldset>
  )
}
