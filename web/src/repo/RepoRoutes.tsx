import { useParams } from 'react-router'
import { NotFound } from '../components/RouteError'
import { BlobPage } from './BlobPage'
import { CommitPage } from './CommitPage'
import { RepoPage } from './RepoPage'

export interface RepoPath {
  repo: string
  /** The revision after @ (github.com/a/b@v1.2/-/blob/x), or null for the default branch. */
  rev: string | null
  kind: 'repo' | 'commit' | 'blob'
  rest: string
}

/**
 * Splits a repository URL at /-/ into the repository (names hold slashes), its revision
 * (after @, which may hold slashes too: a@feature/x/-/blob/y) and the page.
 */
export function parseRepoPath(path: string): RepoPath | null {
  const clean = path.replace(/\/+$/, '')
  const at = clean.indexOf('/-/')
  const head = at < 0 ? clean : clean.slice(0, at)
  const revAt = head.indexOf('@')
  const repo = revAt < 0 ? head : head.slice(0, revAt)
  const rev = revAt < 0 ? null : head.slice(revAt + 1)
  if (!repo || rev === '') return null
  if (at < 0) return { repo, rev, kind: 'repo', rest: '' }
  const [kind, ...rest] = clean.slice(at + 3).split('/')
  if ((kind !== 'commit' && kind !== 'blob') || rest.length === 0 || rest.join('/') === '') return null
  return { repo, rev, kind, rest: rest.join('/') }
}

export function RepoRoutes() {
  const splat = useParams()['*'] ?? ''
  const p = parseRepoPath(decodeURI(splat))
  if (!p) return <NotFound />
  switch (p.kind) {
    case 'commit':
      return <CommitPage repo={p.repo} rev={p.rest} />
    case 'blob':
      return <BlobPage repo={p.repo} rev={p.rev} path={p.rest} />
    default:
      return <RepoPage repo={p.repo} />
  }
}
