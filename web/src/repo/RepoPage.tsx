import { useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Time } from '../components/Time'
import { REPOSITORY } from './backend'

/** /:repo: the repository, its default branch's head and a way to search it. */
export function RepoPage({ repo }: { repo: string }) {
  const { data, error, loading } = useQuery(REPOSITORY, { variables: { name: repo } })
  if (error && !data) return <Page title={repo}><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading what="Loading the repository" />
  const r = data?.repository
  if (!r) return <NotFound what="repository" />
  const head = r.defaultBranch?.target.commit
  const scope = `repo:^${r.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`
  return (
    <Page title={r.name}>
      {r.description ? <p className="lead">{r.description}</p> : null}
      <p className="muted">
        {[r.isPrivate ? 'private' : 'public', r.isFork ? 'fork' : null, r.isArchived ? 'archived' : null].filter(Boolean).join(' · ')}
        {' · '}
        {r.mirrorInfo.cloned ? (
          <>
            fetched <Time date={r.mirrorInfo.updatedAt} />
          </>
        ) : (
          'not cloned yet'
        )}
      </p>
      {r.mirrorInfo.lastError ? <p className="alert alert-error">The last fetch failed: {r.mirrorInfo.lastError}</p> : null}
      {head ? (
        <p>
          {r.defaultBranch?.displayName}: <Link to={head.url}>{head.subject}</Link> <span className="mono">{head.abbreviatedOID}</span> by {head.author.name}, <Time date={head.author.date} />
        </p>
      ) : null}
      <ul>
        <li>
          <Link to={`/search?q=${encodeURIComponent(scope + ' ')}`}>Search this repository</Link>
        </li>
        <li>
          <Link to={`/search?q=${encodeURIComponent(scope + ' type:commit')}`}>Its recent commits</Link>
        </li>
      </ul>
    </Page>
  )
}
