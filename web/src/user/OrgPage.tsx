import { useQuery } from '@apollo/client/react'
import { Link, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { ShowMore } from '../components/ShowMore'
import { Time } from '../components/Time'
import { ORGANIZATION } from './backend'

/** /organizations/:name, an organization namespace's URL. */
export function OrgPage() {
  const { name = '' } = useParams()
  const { data, error, loading, fetchMore } = useQuery(ORGANIZATION, { variables: { name, first: 50 } })
  if (error && !data) return <Page title={name}><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading />
  const o = data?.organization
  if (!o) return <NotFound what="organization" />
  return (
    <Page title={o.displayName || o.name}>
      <p className="muted">
        {o.name} · created <Time date={o.createdAt} />
        {o.viewerIsMember ? ' · you are a member' : ''}
      </p>
      <h2>Members</h2>
      <ul className="list" aria-label="Members">
        {o.members.nodes.map((m) => (
          <li key={m.id} className="list-row">
            <Link to={m.url}>{m.username}</Link>
          </li>
        ))}
      </ul>
      <ShowMore pageInfo={o.members.pageInfo} shown={o.members.nodes.length} total={o.members.totalCount} noun="members" fetchMore={(after) => fetchMore({ variables: { after } })} />
    </Page>
  )
}
