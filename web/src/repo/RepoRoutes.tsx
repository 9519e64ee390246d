import { useParams } from 'react-router'
import { NotFound } from '../components/RouteError'
import { BlobPage } from './BlobPage'
import { CommitPage } from './CommitPage'
import { RepoPage } from './RepoPage'

/** Splits a repository URL (names hold slashes) at /-/ into the repository and the page. */
export function parseRepoPath(path: string): { repo: string; kind: 'repo' | 'commit' | 'blob'; rest: string } | null {
  const clean = path.replace(/\/+$/, '')
  const at = clean.indexOf('/-/')
  if (at < 0) return clean ? { repo: clean, kind: 'repo', rest: '' } : null
  const repo = clean.slice(0, at)
  const [kind, ...rest] = clean.slice(at + 3).split('/')
  if (!repo || (kind !== 'commit' && kind !== 'blob') || rest.length === 0) return null
  return { repo, kind, rest: rest.join('/') }
}

export function RepoRoutes() {
  const splat = useParams()['*'] ?? ''
  const p = parseRepoPath(decodeURI(splat))
  if (!p) return <NotFound />
  switch (p.kind) {
    case 'commit':
      return <CommitPage repo={p.repo} rev={p.rest} />
    case 'blob':
      return <BlobPage repo={p.repo} path={p.rest} />
    default:
      return <RepoPage repo={p.repo} />
  }
}
