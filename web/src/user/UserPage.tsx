import { useQuery } from '@apollo/client/react'
import { Link, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Time } from '../components/Time'
import { USER } from './backend'

/** /users/:username, a user namespace's URL. */
export function UserPage() {
  const { username = '' } = useParams()
  const { data, error, loading } = useQuery(USER, { variables: { username } })
  if (error && !data) return <Page title={username}><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading />
  const u = data?.user
  if (!u) return <NotFound what="user" />
  return (
    <Page title={u.displayName || u.username}>
      <p className="muted">
        @{u.username}
        {u.siteAdmin ? ' · site admin' : ''} · joined <Time date={u.createdAt} />
        {u.email ? ` · ${u.email}` : ''}
      </p>
      {u.organizations.nodes.length ? (
        <p>
          Organizations:{' '}
          {u.organizations.nodes.map((o, i) => (
            <span key={o.id}>
              {i > 0 ? ', ' : ''}
              <Link to={o.url}>{o.name}</Link>
            </span>
          ))}
        </p>
      ) : null}
      {u.viewerCanAdminister ? <Link to={`/users/${encodeURIComponent(u.username)}/settings/tokens`}>Access tokens</Link> : null}
    </Page>
  )
}
