import { useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { errorMessage } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import type { SearchQuery } from '../graphql/graphql'
import { SEARCH } from './backend'
import { HighlightedText, markRanges } from './Highlight'
import { QueryInput } from './QueryInput'
import { errorPosition } from './suggest'

type Result = NonNullable<SearchQuery['search']>['results']['results'][number]

export function SearchPage() {
  const [params, setParams] = useSearchParams()
  const q = params.get('q') ?? ''
  const [draft, setDraft] = useState(q)
  const [lastQ, setLastQ] = useState(q)
  if (q !== lastQ) {
    // Navigating to another ?q= (back/forward, a link) replaces the box's text.
    setLastQ(q)
    setDraft(q)
  }
  const { data, error, loading } = useQuery(SEARCH, { variables: { query: q }, skip: q.trim() === '', fetchPolicy: 'network-only' })
  const results = data?.search?.results
  const submit = (query: string) => setParams(query.trim() ? { q: query.trim() } : {})
  return (
    <Page title={q ? `Search: ${q}` : 'Search'}>
      <form
        className="search-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          submit(draft)
        }}
      >
        <QueryInput value={draft} onChange={setDraft} onSubmit={submit} />
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      {error ? <QueryError query={q} error={error} /> : null}
      {loading && !results ? <Loading what="Searching" /> : null}
      {q && results ? (
        <>
          <p className="muted" aria-live="polite" id="result-summary">
            {data?.search?.stats.approximateResultCount} result{results.matchCount === 1 ? '' : 's'} in {results.repositoryCounts.length} repositor
            {results.repositoryCounts.length === 1 ? 'y' : 'ies'} ({results.elapsedMilliseconds} ms)
          </p>
          {results.limitHit ? (
            <p className="alert alert-info">
              Showing the first {results.matchCount} results: more match. Add <code>count:all</code> or narrow the query to see them.
            </p>
          ) : null}
          {results.cloning.length ? <p className="alert alert-warning">Not searched yet (still cloning): {results.cloning.map((r) => r.name).join(', ')}</p> : null}
          {results.missing.length ? <p className="alert alert-warning">Could not be searched: {results.missing.map((r) => r.name).join(', ')}</p> : null}
          {results.timedout.length ? <p className="alert alert-warning">Timed out (partial results): {results.timedout.map((r) => r.name).join(', ')}</p> : null}
          {results.results.length === 0 ? <p className="empty">No results.</p> : null}
          <div aria-label="Search results" role="region">
            {results.results.map((r, i) => (
              <ResultCard key={i} result={r} />
            ))}
          </div>
        </>
      ) : null}
      {!q ? <SearchHelp /> : null}
    </Page>
  )
}

/** A query error in place, with a caret under the position the parser names. */
function QueryError({ query, error }: { query: string; error: unknown }) {
  const message = errorMessage(error)
  const pos = errorPosition(message)
  return (
    <div className="alert alert-error" role="alert">
      <p>{message}</p>
      {pos !== null ? (
        <pre className="code" aria-hidden="true">
          {query}
          {'\n'}
          {' '.repeat(Math.min(pos, query.length))}^
        </pre>
      ) : null}
    </div>
  )
}

function ResultCard({ result }: { result: Result }) {
  switch (result.__typename) {
    case 'FileMatch':
      return (
        <article className="result" aria-label={`${result.repository.name} ${result.file.path}`}>
          <div className="result-header">
            <Link to={result.repository.url}>{result.repository.name}</Link> › <Link to={result.file.url}>{result.file.path}</Link>
          </div>
          {result.lineMatches.length ? (
            <pre className="code">
              {result.lineMatches.map((lm) => (
                <div key={lm.lineNumber}>
                  <span className="line-number">{lm.lineNumber + 1}</span>
                  {markRanges(lm.preview, lm.offsetAndLengths)}
                </div>
              ))}
            </pre>
          ) : (
            <p className="muted code">path match</p>
          )}
        </article>
      )
    case 'CommitSearchResult':
      return (
        <article className="result" aria-label={`${result.commit.repository.name} commit ${result.commit.abbreviatedOID}`}>
          <div className="result-header">
            <Link to={result.commit.repository.url}>{result.commit.repository.name}</Link> › <Link to={result.url}>{result.commit.subject}</Link>{' '}
            <span className="muted">
              {result.commit.author.name} · <span className="mono">{result.commit.abbreviatedOID}</span>
            </span>
          </div>
          {result.diffPreview ? (
            <HighlightedText value={result.diffPreview.value} highlights={result.diffPreview.highlights} diff />
          ) : result.messagePreview ? (
            <HighlightedText value={result.messagePreview.value} highlights={result.messagePreview.highlights} />
          ) : null}
        </article>
      )
    case 'Repository':
      return (
        <article className="result" aria-label={result.name}>
          <div className="result-header">
            <Link to={result.url}>{result.name}</Link> {result.description ? <span className="muted">{result.description}</span> : null}
          </div>
        </article>
      )
  }
}

function SearchHelp() {
  return (
    <section className="muted">
      <h2>Search your code</h2>
      <p>
        Type words to find them in files, <code>/regexp/</code> for a regular expression, and filters such as <code>repo:</code>, <code>file:</code>, <code>lang:</code>,{' '}
        <code>type:commit</code> or <code>type:diff</code>. Filters are suggested as you type.
      </p>
    </section>
  )
}
