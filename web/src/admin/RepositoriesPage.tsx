import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { ShowMore } from '../components/ShowMore'
import { formatBytes, Time } from '../components/Time'
import { useDebounced } from '../components/useDebounced'
import type { SiteAdminRepositoriesQuery } from '../graphql/graphql'
import { FETCH_REPOSITORY, REPOSITORIES } from './backend'

type Repo = SiteAdminRepositoriesQuery['repositories']['nodes'][number]

export function RepositoriesPage() {
  const [filter, setFilter] = useState('')
  const [failedOnly, setFailedOnly] = useState(false)
  const query = useDebounced(filter, 300)
  const { data, error, loading, fetchMore } = useQuery(REPOSITORIES, {
    variables: { first: 50, query: query || null, failedFetch: failedOnly },
    pollInterval: 5000,
  })
  const repos = data?.repositories
  return (
    <Page title="Repositories">
      <div className="form-actions" role="search">
        <label className="inline">
          Filter by name <input value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} /> Only failed fetches
        </label>
      </div>
      <ErrorAlert error={error} />
      {loading && !repos ? <Loading what="Loading repositories" /> : null}
      {repos ? (
        <>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Repositories and their mirrors</caption>
              <thead>
                <tr>
                  <th scope="col">Repository</th>
                  <th scope="col">Mirror</th>
                  <th scope="col">Last fetched</th>
                  <th scope="col" className="num">Size</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {repos.nodes.map((r) => (
                  <RepoRow key={r.id} repo={r} />
                ))}
              </tbody>
            </table>
          </div>
          <ShowMore pageInfo={repos.pageInfo} shown={repos.nodes.length} total={repos.totalCount} noun="repositories" fetchMore={(after) => fetchMore({ variables: { after } })} />
        </>
      ) : null}
    </Page>
  )
}

function mirrorState(r: Repo): string {
  if (r.mirrorInfo.cloneInProgress) return 'cloning'
  if (r.mirrorInfo.lastError) return 'fetch failed'
  return r.mirrorInfo.cloned ? 'cloned' : 'not cloned yet'
}

function RepoRow({ repo }: { repo: Repo }) {
  const [fetchNow, { loading, error, data }] = useMutation(FETCH_REPOSITORY)
  return (
    <tr>
      <th scope="row">
        <Link to={repo.url}>{repo.name}</Link>
        {repo.isPrivate ? <span className="hint"> (private)</span> : null}
      </th>
      <td>
        {mirrorState(repo)}
        {repo.mirrorInfo.lastError ? <div className="field-error">{repo.mirrorInfo.lastError}</div> : null}
      </td>
      <td>
        <Time date={repo.mirrorInfo.updatedAt} />
      </td>
      <td className="num">{formatBytes(Number(repo.mirrorInfo.byteSize))}</td>
      <td>
        <button type="button" className="btn btn-small" disabled={loading} onClick={() => void fetchNow({ variables: { id: repo.id } }).catch(() => undefined)}>
          {loading ? 'Queueing…' : data ? 'Fetch queued' : 'Fetch now'}
          <span className="visually-hidden"> {repo.name}</span>
        </button>
        <ErrorAlert error={error} />
      </td>
    </tr>
  )
}
