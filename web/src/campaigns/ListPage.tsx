import { useQuery } from '@apollo/client/react'
import { Link, useSearchParams } from 'react-router'
import { ConnectionList } from '../components/ConnectionList'
import { Page } from '../components/Page'
import { Time } from '../components/Time'
import type { CampaignState } from '../graphql/graphql'
import { CAMPAIGNS } from './backend'
import { campaignStateNames, statsSummary } from './format'
import './campaigns.css'

export const PAGE_SIZE = 20

const tabs: { state: CampaignState | null; label: string }[] = [
  { state: null, label: 'All' },
  { state: 'OPEN', label: 'Open' },
  { state: 'DRAFT', label: 'Draft' },
  { state: 'CLOSED', label: 'Closed' },
]

/** /campaigns: campaigns with their state and changeset counts, filtered by state. */
export function CampaignsListPage() {
  const [params] = useSearchParams()
  const raw = params.get('state')
  const state = tabs.find((t) => t.state === raw)?.state ?? null
  const { data, error, loading, fetchMore } = useQuery(CAMPAIGNS, { variables: { first: PAGE_SIZE, state } })
  const list = data?.campaigns
  return (
    <Page
      title="Campaigns"
      actions={
        <Link className="btn btn-primary" to="/campaigns/new">
          Create campaign
        </Link>
      }
    >
      <p className="lead">One change across many repositories: a patch or a script, turned into a branch and a pull request in each, tracked until merged.</p>
      <nav aria-label="Campaign states">
        <ul className="tabs">
          {tabs.map((t) => (
            <li key={t.label}>
              <Link to={t.state ? `?state=${t.state}` : '?'} className={t.state === state ? 'active' : undefined} aria-current={t.state === state ? 'page' : undefined}>
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <ConnectionList
        connection={list}
        loading={loading}
        error={error}
        label="Campaigns"
        noun="campaigns"
        empty={
          <>
            <p>{state ? `No ${campaignStateNames[state]} campaigns.` : 'No campaigns yet.'}</p>
            <Link to="/campaigns/new">Create a campaign</Link>
          </>
        }
        fetchMore={(after) => fetchMore({ variables: { after } })}
        row={(c) => (
          <li key={c.id} className="list-row" data-campaign={c.name}>
            <div className="list-main">
              <Link className="list-title" to={`/campaigns/${encodeURIComponent(c.id)}`}>
                {c.name}
              </Link>{' '}
              <span className={`badge badge-campaign-${c.state.toLowerCase()}`}>{campaignStateNames[c.state] ?? c.state}</span>
              <div className="muted">
                <Link to={c.namespace.url}>{c.namespace.namespaceName}</Link> · created <Time date={c.createdAt} />
                {c.closedAt ? (
                  <>
                    {' '}
                    · closed <Time date={c.closedAt} />
                  </>
                ) : null}
              </div>
              {c.description ? <p className="campaign-description">{c.description}</p> : null}
            </div>
            <div className="list-side">
              <ChangesetCounts stats={c.changesetsStats} />
            </div>
          </li>
        )}
      />
    </Page>
  )
}

export function ChangesetCounts({ stats }: { stats: Parameters<typeof statsSummary>[0] }) {
  const parts = statsSummary(stats)
  return (
    <span className="changeset-counts" data-total={stats.total}>
      {stats.total === 0 ? (
        <span className="muted">No changesets</span>
      ) : (
        <>
          <strong>
            {stats.total} changeset{stats.total === 1 ? '' : 's'}
          </strong>
          {parts.length ? ': ' : ''}
          {parts.map((p, i) => (
            <span key={p.key} className={`count-${p.key}`} data-state={p.key} data-count={p.n}>
              {i > 0 ? ', ' : ''}
              {p.n} {p.label}
            </span>
          ))}
        </>
      )}
    </span>
  )
}
