import { useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { ErrorAlert, errorCode, errorMessage } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { formatBytes } from '../components/Time'
import { BLOB } from './backend'

function escapeRegexp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The lines of a file as the page numbers them: a final newline ends the last line. */
export function fileLines(content: string): string[] {
  if (content === '') return []
  const lines = content.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/**
 * /:repo[@rev]/-/blob/:path, where search results, issues and notifications link a
 * file: its content with line numbers (#L12 links a line), or why it is not shown (a
 * binary file; one over the API's size limit, which the API names), and searches
 * scoped to it.
 */
export function BlobPage({ repo, rev, path }: { repo: string; rev: string | null; path: string }) {
  const { data, error, loading } = useQuery(BLOB, { variables: { repo, rev: rev ?? 'HEAD', path, withContent: false } })
  const commit = data?.repository?.commit
  const blob = commit?.blob
  // The content is asked for next, at the commit just resolved, only for a text file: a
  // binary or too-large file costs its size and nothing more.
  const content = useQuery(BLOB, {
    variables: { repo, rev: commit?.oid ?? '', path, withContent: true },
    skip: !commit || !blob || blob.binary,
  })
  if (error && !data) return <Page title={path}><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading what="Loading the file" />
  const r = data?.repository
  if (!r) return <NotFound what="repository" />
  if (!commit) return <NotFound what={`revision ${rev ?? 'HEAD'} of ${r.name}`} />
  if (!blob) return <NotFound what={`file ${path} in ${r.name} at ${commit.abbreviatedOID}`} />
  const scope = `repo:^${escapeRegexp(r.name)}$ file:^${escapeRegexp(blob.path)}$`
  const text = content.data?.repository?.commit?.blob?.content
  const lines = text === undefined ? null : fileLines(text)
  return (
    <Page title={blob.path}>
      <p>
        In <Link to={r.url}>{r.name}</Link> at <Link to={commit.url} className="mono">{commit.abbreviatedOID}</Link> <span className="muted">{commit.subject}</span>
      </p>
      <p className="muted" id="file-facts">
        {[lines ? `${lines.length} line${lines.length === 1 ? '' : 's'}` : null, formatBytes(blob.byteSize), blob.language, blob.binary ? 'binary' : null].filter(Boolean).join(' · ')}
      </p>
      <ul>
        <li>
          <Link to={`/search?q=${encodeURIComponent(scope + ' ')}`}>Search in this file</Link>
        </li>
        <li>
          <Link to={`/search?q=${encodeURIComponent(scope + ' type:commit')}`}>Commits that changed it</Link>
        </li>
      </ul>
      {blob.binary ? (
        <p className="alert alert-info" role="status">
          This is a binary file ({formatBytes(blob.byteSize)}): its content is not shown.
        </p>
      ) : errorCode(content.error) === 'FILE_TOO_LARGE' ? (
        <p className="alert alert-info" role="status">
          This file is too large to show: {errorMessage(content.error)}
        </p>
      ) : content.error ? (
        <ErrorAlert error={content.error} prefix="Could not load the file" />
      ) : lines === null ? (
        <Loading what="Loading the content" />
      ) : lines.length === 0 ? (
        <p className="empty">The file is empty.</p>
      ) : (
        <pre className="code blob" aria-label={`Content of ${blob.path}`} tabIndex={0}>
          {lines.map((line, i) => (
            <div key={i} id={`L${i + 1}`}>
              <a className="line-number" href={`#L${i + 1}`} aria-hidden="true" tabIndex={-1}>
                {i + 1}
              </a>
              {line || '\u00a0'}
            </div>
          ))}
        </pre>
      )}
    </Page>
  )
}

