import { useQuery } from '@apollo/client/react'
import { Link, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { ShowMore } from '../components/ShowMore'
import { Time } from '../components/Time'
import { CAMPAIGN, CAMPAIGNS } from './backend'

function campaignState(c: { closedAt: string | null; publishedAt: string | null }): string {
  return c.closedAt ? 'closed' : c.publishedAt ? 'open' : 'draft'
}

/** /campaigns: the campaigns the viewer may see. */
export function CampaignsListPage() {
  const { data, error, loading, fetchMore } = useQuery(CAMPAIGNS, { variables: { first: 50 } })
  const list = data?.campaigns
  return (
    <Page title="Campaigns">
      <ErrorAlert error={error} />
      {loading && !list ? <Loading /> : null}
      {list && list.nodes.length === 0 ? <p className="empty">No campaigns yet. Create one with the createCampaign mutation (the API console).</p> : null}
      {list && list.nodes.length > 0 ? (
        <>
          <ul className="list" aria-label="Campaigns">
            {list.nodes.map((c) => (
              <li key={c.id} className="list-row">
                <div className="list-main">
                  <Link className="list-title" to={`/campaigns/${encodeURIComponent(c.id)}`}>
                    {c.name}
                  </Link>{' '}
                  <span className="badge">{campaignState(c)}</span>
                  <div className="muted">
                    {c.namespace.namespaceName} · created <Time date={c.createdAt} />
                  </div>
                </div>
              </li>
            ))}
          </ul>
          <ShowMore pageInfo={list.pageInfo} shown={list.nodes.length} total={list.totalCount} noun="campaigns" fetchMore={(after) => fetchMore({ variables: { after } })} />
        </>
      ) : null}
    </Page>
  )
}

/** /campaigns/:id, the URL campaigns put in pull request bodies: the campaign and its changesets. */
export function CampaignPage() {
  const { id = '' } = useParams()
  const { data, error, loading } = useQuery(CAMPAIGN, { variables: { id } })
  if (error && !data) return <Page title="Campaign"><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading />
  const c = data?.node
  if (!c || c.__typename !== 'Campaign') return <NotFound what="campaign" />
  return (
    <Page title={`Campaign: ${c.name}`}>
      <p className="muted">
        <span className="badge">{campaignState(c)}</span> · <Link to={c.namespace.url}>{c.namespace.namespaceName}</Link> · branch <code>{c.branch}</code> · updated{' '}
        <Time date={c.updatedAt} />
      </p>
      {c.description ? <p>{c.description}</p> : null}
      <h2>
        {c.changesets.totalCount} changeset{c.changesets.totalCount === 1 ? '' : 's'}
      </h2>
      <ul className="list" aria-label="Changesets">
        {c.changesets.nodes.map((ch) => (
          <li key={ch.id} className="list-row">
            <div className="list-main">
              <Link to={ch.repository.url}>{ch.repository.name}</Link> {ch.title}
            </div>
            <span>
              {ch.state.toLowerCase()}
              {ch.externalURL ? (
                <>
                  {' '}
                  · <a href={ch.externalURL}>on the code host</a>
                </>
              ) : null}
            </span>
          </li>
        ))}
      </ul>
    </Page>
  )
}
