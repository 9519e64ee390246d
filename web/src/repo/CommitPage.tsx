import { useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { FileDiffs } from '../components/FileDiffs'
import { Time } from '../components/Time'
import { COMMIT } from './backend'

/** /:repo/-/commit/:sha: the message, author, date and diff (where monitor links land). */
export function CommitPage({ repo, rev }: { repo: string; rev: string }) {
  const { data, error, loading } = useQuery(COMMIT, { variables: { repo, rev } })
  if (error && !data) return <Page title="Commit"><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading what="Loading the commit" />
  const r = data?.repository
  const c = r?.commit
  if (!r) return <NotFound what="repository" />
  if (!c) return <NotFound what="commit" />
  return (
    <Page title={c.subject || c.abbreviatedOID}>
      <p>
        <Link to={r.url}>{r.name}</Link> · commit <span className="mono">{c.oid}</span>
      </p>
      <p>
        <strong>{c.author.name}</strong> &lt;{c.author.email}&gt; committed <Time date={c.author.date} />
        {c.committer && c.committer.name !== c.author.name ? ` (with ${c.committer.name})` : ''}
      </p>
      {c.body ? <pre className="code">{c.body}</pre> : null}
      <p className="muted">
        Parent{c.parents.length === 1 ? '' : 's'}:{' '}
        {c.parents.length === 0
          ? 'none'
          : c.parents.map((p, i) => (
              <span key={p.id}>
                {i > 0 ? ', ' : ''}
                <Link to={p.url} className="mono">
                  {p.abbreviatedOID}
                </Link>
              </span>
            ))}
      </p>
      <h2>
        {c.diff.files.length} changed file{c.diff.files.length === 1 ? '' : 's'}
      </h2>
      {c.diff.truncated ? <p className="alert alert-warning">The diff is larger than 1 MiB: later changes are not shown.</p> : null}
      <FileDiffs files={c.diff.files} />
    </Page>
  )
}
