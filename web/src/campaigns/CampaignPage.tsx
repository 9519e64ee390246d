// /campaigns/:id, the URL campaigns put in pull request bodies: the campaign, its
// progress (counts, burndown), its changesets and the actions on them. While changesets
// are being pushed or published the page reads them again every few seconds.
import { useMutation, useQuery } from '@apollo/client/react'
import { useEffect, useMemo, useRef, useState } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { LineChart, preloadLineChart } from '../components/charts'
import { ErrorAlert } from '../components/ErrorAlert'
import { DiffStatText, FileDiffs } from '../components/FileDiffs'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Time } from '../components/Time'
import { usePollWhile } from '../components/usePollWhile'
import type { CampaignChangesetsQuery, CampaignQuery, ChangesetCheckState, ChangesetReviewState, ChangesetState } from '../graphql/graphql'
import {
  BURNDOWN,
  CAMPAIGN,
  CAMPAIGN_CHANGESETS,
  CHANGESET_DIFF,
  CLOSE_CAMPAIGN,
  PUBLISH_CAMPAIGN,
  PUBLISH_CHANGESET,
  RETRY_CAMPAIGN_CHANGESETS,
  RETRY_CHANGESET,
  SYNC_CHANGESET,
} from './backend'
import { campaignStateNames, changesetStateNames, checkStateNames, percentComplete, reviewStateNames } from './format'
import { ChangesetCounts } from './ListPage'
import './campaigns.css'

preloadLineChart()

/** How often a campaign with changesets in flight is read again. */
export const CAMPAIGN_POLL_MS = 2000
export const CHANGESETS_PAGE = 50

type Campaign = Extract<NonNullable<CampaignQuery['node']>, { __typename: 'Campaign' }>
type Changeset = Extract<NonNullable<CampaignChangesetsQuery['node']>, { __typename: 'Campaign' }>['changesets']['nodes'][number]

export function CampaignPage() {
  const { id = '' } = useParams()
  const query = useQuery(CAMPAIGN, { variables: { id } })
  const { data, error, loading, refetch } = query
  const c = data?.node?.__typename === 'Campaign' ? data.node : null
  const s = c?.changesetsStats
  const active = !!c && (c.status.state === 'PROCESSING' || (s ? s.processing + s.scheduled + s.retrying > 0 : false))
  usePollWhile(active, CAMPAIGN_POLL_MS, query)
  if (loading && !data) return <Loading what="Loading the campaign" />
  if (error && !data) {
    return (
      <Page title="Campaign">
        <ErrorAlert error={error} />
      </Page>
    )
  }
  if (!c) return <NotFound what="campaign" />
  return (
    <Page title={c.name}>
      <p className="campaign-meta">
        <span className={`badge badge-campaign-${c.state.toLowerCase()}`}>{campaignStateNames[c.state] ?? c.state}</span> · <Link to={c.namespace.url}>{c.namespace.namespaceName}</Link>
        {c.author ? ` · created by ${c.author.username}` : ''} <Time date={c.createdAt} /> · branch <code>{c.branch}</code>
        {c.closedAt ? (
          <>
            {' '}
            · closed <Time date={c.closedAt} />
          </>
        ) : null}
      </p>
      {c.description ? <p className="campaign-description">{c.description}</p> : null}
      {!c.viewerCanAdminister ? <p className="muted">You can follow this campaign; only its owners change it.</p> : null}
      <CampaignStatus campaign={c} />
      {c.viewerCanAdminister ? <CampaignActions campaign={c} onChange={() => void refetch()} /> : null}
      <Burndown id={c.id} stats={JSON.stringify(c.changesetsStats)} />
      {c.changesetPlans.nodes.some((p) => !p.publicationEnqueued) ? <UnpublishedPlans campaign={c} onChange={() => void refetch()} /> : null}
      <ChangesetsTable campaignId={c.id} active={active} canAdminister={c.viewerCanAdminister && c.state !== 'CLOSED'} stats={JSON.stringify(c.changesetsStats)} />
    </Page>
  )
}

/** Reads a query again when the campaign's counts change (not on the first render). */
function useRefetchOnChange(key: string, refetch: () => Promise<unknown>) {
  const seen = useRef(key)
  useEffect(() => {
    if (seen.current === key) return
    seen.current = key
    void refetch()
  }, [key, refetch])
}

function CampaignStatus({ campaign: c }: { campaign: Campaign }) {
  const s = c.changesetsStats
  return (
    <section className="campaign-stats" aria-label="Progress" data-status={c.status.state}>
      <div>
        <strong className="percent">{percentComplete(s)}% complete</strong> <ChangesetCounts stats={s} />
      </div>
      {s.scheduled > 0 ? (
        <p className="muted">
          {s.scheduled} changeset{s.scheduled === 1 ? ' is' : 's are'} scheduled: the code host's publish rate limit lets them out one by one.
        </p>
      ) : null}
      {c.status.state === 'PROCESSING' ? (
        <p className="alert alert-info" role="status">
          Pushing and publishing: {c.status.completedCount} of {c.status.completedCount + c.status.pendingCount} changesets done.
        </p>
      ) : null}
      {c.status.errors.length > 0 ? (
        <div className="alert alert-error" role="alert">
          {c.status.errors.length} changeset{c.status.errors.length === 1 ? '' : 's'} failed:
          <ul>
            {c.status.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  )
}

function CampaignActions({ campaign: c, onChange }: { campaign: Campaign; onChange: () => void }) {
  const [publish, publishing] = useMutation(PUBLISH_CAMPAIGN)
  const [retry, retrying] = useMutation(RETRY_CAMPAIGN_CHANGESETS)
  const [close, closing] = useMutation(CLOSE_CAMPAIGN)
  const [closeOpen, setCloseOpen] = useState(false)
  const [closeChangesets, setCloseChangesets] = useState(false)
  const s = c.changesetsStats
  const openCount = s.open
  if (c.state === 'CLOSED') return null
  return (
    <div className="campaign-actions">
      <div className="page-actions" role="group" aria-label="Campaign actions">
        {c.state === 'DRAFT' ? (
          <button type="button" className="btn btn-primary" disabled={publishing.loading} onClick={() => void publish({ variables: { campaign: c.id } }).then(onChange, () => undefined)}>
            Publish all changesets
          </button>
        ) : null}
        {s.failed + s.retrying > 0 ? (
          <button type="button" className="btn" disabled={retrying.loading} onClick={() => void retry({ variables: { campaign: c.id } }).then(onChange, () => undefined)}>
            Retry failed changesets
          </button>
        ) : null}
        <button type="button" className="btn" aria-expanded={closeOpen} onClick={() => setCloseOpen(!closeOpen)}>
          Close campaign…
        </button>
      </div>
      {closeOpen ? (
        <div className="close-panel" role="group" aria-label="Close the campaign">
          <p>Closing stops publishing the changesets that are not published yet. The campaign stays, read-only.</p>
          <label className="inline">
            <input type="checkbox" checked={closeChangesets} onChange={(e) => setCloseChangesets(e.target.checked)} />
            Also close its {openCount} open pull request{openCount === 1 ? '' : 's'} on their code hosts
          </label>
          <div className="form-actions">
            <button type="button" className="btn btn-danger" disabled={closing.loading} onClick={() => void close({ variables: { campaign: c.id, closeChangesets } }).then(onChange, () => undefined)}>
              Close campaign
            </button>
            <button type="button" className="btn" onClick={() => setCloseOpen(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      <ErrorAlert error={publishing.error ?? retrying.error ?? closing.error} />
    </div>
  )
}

/** Changeset counts by state over time, stacked: the share merged, closed or pushed grows as the campaign burns down. */
function Burndown({ id, stats }: { id: string; stats: string }) {
  const { data, error, refetch } = useQuery(BURNDOWN, { variables: { id } })
  useRefetchOnChange(stats, refetch)
  const counts = data?.node?.__typename === 'Campaign' ? data.node.changesetCountsOverTime : null
  const chart = useMemo(() => {
    if (!counts) return null
    const times = counts.map((p) => Date.parse(p.date))
    const series = [
      { id: 'merged', label: 'Merged', color: '#8250df', values: counts.map((p) => p.merged) },
      { id: 'closed', label: 'Closed', color: '#a4161a', values: counts.map((p) => p.closed) },
      { id: 'pushed', label: 'Pushed (no pull request)', color: '#0a7b83', values: counts.map((p) => p.pushed) },
      { id: 'open', label: 'Open', color: '#1a7f37', values: counts.map((p) => p.open - p.draft) },
      { id: 'draft', label: 'Draft', color: '#6e7781', values: counts.map((p) => p.draft) },
    ]
    return { times, series }
  }, [counts])
  const last = counts?.[counts.length - 1]
  return (
    <section className="burndown" aria-labelledby="burndown-heading" data-total={last?.total ?? ''} data-pushed={last?.pushed ?? ''} data-merged={last?.merged ?? ''}>
      <h2 id="burndown-heading">Burndown</h2>
      <ErrorAlert error={error} />
      {chart && chart.times.length > 0 && last && last.total > 0 ? (
        <LineChart title="Changesets by state over time" times={chart.times} series={chart.series} stacked height={200} />
      ) : counts ? (
        <p className="muted">No changeset has been published yet.</p>
      ) : (
        <Loading what="Loading the burndown" />
      )}
    </section>
  )
}

/** A draft campaign's diffs nobody asked to publish yet (once asked, they are changesets). */
function UnpublishedPlans({ campaign: c, onChange }: { campaign: Campaign; onChange: () => void }) {
  const [publish, publishing] = useMutation(PUBLISH_CHANGESET)
  const plans = c.changesetPlans.nodes.filter((p) => !p.publicationEnqueued)
  return (
    <section aria-labelledby="unpublished-heading">
      <h2 id="unpublished-heading">Not published yet ({plans.length})</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Base</th>
              <th scope="col">Changes</th>
              {c.viewerCanAdminister && c.state !== 'CLOSED' ? <th scope="col">Publish</th> : null}
            </tr>
          </thead>
          <tbody>
            {plans.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <Link to={p.repository.url}>{p.repository.name}</Link>
                </th>
                <td>{p.baseRef.replace(/^refs\/heads\//, '')}</td>
                <td>
                  <DiffStatText added={p.diffStat.added} deleted={p.diffStat.deleted} />
                </td>
                {c.viewerCanAdminister && c.state !== 'CLOSED' ? (
                  <td>
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={publishing.loading}
                      onClick={() => void publish({ variables: { changesetPlan: p.id } }).then(onChange, () => undefined)}
                      aria-label={`Publish ${p.repository.name}`}
                    >
                      Publish
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorAlert error={publishing.error} />
    </section>
  )
}

const stateFilters: ChangesetState[] = ['OPEN', 'DRAFT', 'MERGED', 'CLOSED', 'PUSHED', 'DELETED', 'UNPUBLISHED']
const reviewFilters: ChangesetReviewState[] = ['APPROVED', 'CHANGES_REQUESTED', 'PENDING', 'COMMENTED']
const checkFilters: ChangesetCheckState[] = ['PASSED', 'FAILED', 'PENDING']

function ChangesetsTable({ campaignId, active, canAdminister, stats }: { campaignId: string; active: boolean; canAdminister: boolean; stats: string }) {
  const [params, setParams] = useSearchParams()
  const state = stateFilters.find((s) => s === params.get('state')) ?? null
  const reviewState = reviewFilters.find((s) => s === params.get('review')) ?? null
  const checkState = checkFilters.find((s) => s === params.get('checks')) ?? null
  // Cursors of the pages before the one shown, for "previous".
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const after = cursors[cursors.length - 1] ?? null
  const query = useQuery(CAMPAIGN_CHANGESETS, {
    variables: { id: campaignId, first: CHANGESETS_PAGE, after, state, reviewState, checkState },
  })
  const { data, error, loading, refetch } = query
  usePollWhile(active, CAMPAIGN_POLL_MS, query)
  useRefetchOnChange(stats, refetch)
  const list = data?.node?.__typename === 'Campaign' ? data.node.changesets : null
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params)
    if (value) next.set(key, value)
    else next.delete(key)
    setParams(next, { replace: true })
    setCursors([null])
  }
  const page = cursors.length
  return (
    <section aria-labelledby="changesets-heading" className="changesets">
      <h2 id="changesets-heading">Changesets{list ? ` (${list.totalCount})` : ''}</h2>
      <div className="filters-bar" role="group" aria-label="Filter changesets">
        <FilterSelect label="State" value={state} options={stateFilters} names={changesetStateNames} onChange={(v) => setFilter('state', v)} />
        <FilterSelect label="Review" value={reviewState} options={reviewFilters} names={reviewStateNames} onChange={(v) => setFilter('review', v)} />
        <FilterSelect label="Checks" value={checkState} options={checkFilters} names={checkStateNames} onChange={(v) => setFilter('checks', v)} />
      </div>
      <ErrorAlert error={error} />
      {loading && !list ? <Loading what="Loading changesets" /> : null}
      {list && list.nodes.length === 0 ? <p className="empty">{state || reviewState || checkState ? 'No changeset matches these filters.' : 'No changesets yet.'}</p> : null}
      {list && list.nodes.length > 0 ? (
        <div className="table-wrap">
          <table className="changesets-table">
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">State</th>
                <th scope="col">Review</th>
                <th scope="col">Checks</th>
                <th scope="col">Changes</th>
                <th scope="col">Where</th>
                {canAdminister ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.nodes.map((ch) => (
                <ChangesetRow key={ch.id} ch={ch} canAdminister={canAdminister} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {list ? (
        <div className="pager" role="group" aria-label="Pages of changesets">
          <button type="button" className="btn btn-small" disabled={page <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous page
          </button>
          <span aria-live="polite">
            Page {page} of {Math.max(1, Math.ceil(list.totalCount / CHANGESETS_PAGE))}
          </span>
          <button
            type="button"
            className="btn btn-small"
            disabled={!list.pageInfo.hasNextPage || !list.pageInfo.endCursor}
            onClick={() => setCursors([...cursors, list.pageInfo.endCursor])}
          >
            Next page
          </button>
        </div>
      ) : null}
    </section>
  )
}

function FilterSelect({ label, value, options, names, onChange }: { label: string; value: string | null; options: string[]; names: Record<string, string>; onChange: (v: string) => void }) {
  return (
    <label>
      {label}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {names[o] ?? o}
          </option>
        ))}
      </select>
    </label>
  )
}

function ReconcilerNote({ ch }: { ch: Changeset }) {
  switch (ch.reconcilerState) {
    case 'SCHEDULED':
      return (
        <div className="muted" data-reconciler="SCHEDULED">
          scheduled{ch.scheduleEstimateAt ? <>, publishes <Time date={ch.scheduleEstimateAt} /></> : null}
        </div>
      )
    case 'QUEUED':
    case 'PROCESSING':
      return (
        <div className="muted" data-reconciler={ch.reconcilerState}>
          {ch.reconcilerState === 'QUEUED' ? 'queued' : 'processing…'}
        </div>
      )
    case 'ERRORED':
    case 'FAILED':
      return (
        <div className="field-error" data-reconciler={ch.reconcilerState}>
          {ch.reconcilerState === 'ERRORED' ? 'failed, retrying' : 'failed'}
          {ch.error ? `: ${ch.error}` : ''}
        </div>
      )
    default:
      return null
  }
}

function ChangesetRow({ ch, canAdminister }: { ch: Changeset; canAdminister: boolean }) {
  const [showDiff, setShowDiff] = useState(false)
  // The campaign's counts change (and polling starts again) once the changeset is queued.
  const [retry, retrying] = useMutation(RETRY_CHANGESET, { refetchQueries: ['Campaign'] })
  const [sync, syncing] = useMutation(SYNC_CHANGESET, { refetchQueries: ['Campaign'] })
  const [synced, setSynced] = useState(false)
  const diff = useQuery(CHANGESET_DIFF, { variables: { id: ch.id }, skip: !showDiff })
  const fileDiffs = diff.data?.node?.__typename === 'ExternalChangeset' ? diff.data.node.fileDiffs : null
  const failed = ch.reconcilerState === 'FAILED' || ch.reconcilerState === 'ERRORED'
  const published = ch.externalID != null
  const branch = ch.head ?? ''
  return (
    <>
      <tr data-repo={ch.repository.name} data-state={ch.state} data-reconciler={ch.reconcilerState}>
        <th scope="row">
          <Link to={ch.repository.url}>{ch.repository.name}</Link>
          <div className="muted small">{ch.title}</div>
        </th>
        <td>
          <span className={`badge badge-cs-${ch.state.toLowerCase()}`}>{changesetStateNames[ch.state] ?? ch.state.toLowerCase()}</span>
          <ReconcilerNote ch={ch} />
          {ch.syncError ? <div className="field-error small">sync failed: {ch.syncError}</div> : null}
        </td>
        <td>{ch.state === 'PUSHED' || !published ? <span className="muted">–</span> : (reviewStateNames[ch.reviewState] ?? ch.reviewState)}</td>
        <td>{ch.checkState ? checkStateNames[ch.checkState] : <span className="muted">–</span>}</td>
        <td>
          {ch.diffStat ? (
            <button type="button" className="btn-link" aria-expanded={showDiff} onClick={() => setShowDiff(!showDiff)}>
              <DiffStatText added={ch.diffStat.added} deleted={ch.diffStat.deleted} />
              <span className="visually-hidden"> lines: {showDiff ? 'hide' : 'show'} the diff of {ch.repository.name}</span>
            </button>
          ) : (
            <span className="muted">–</span>
          )}
        </td>
        <td>
          {ch.state === 'PUSHED' ? (
            ch.headSHA ? (
              <Link to={`${ch.repository.url}/-/commit/${ch.headSHA}`}>branch {branch}</Link>
            ) : (
              <code>{branch}</code>
            )
          ) : ch.externalURL && published ? (
            <a href={ch.externalURL}>
              {ch.externalID ? `#${ch.externalID}` : 'pull request'} <span className="visually-hidden">(on the code host)</span>
            </a>
          ) : (
            <span className="muted">–</span>
          )}
        </td>
        {canAdminister ? (
          <td className="row-actions">
            {failed ? (
              <button type="button" className="btn btn-small" disabled={retrying.loading} onClick={() => void retry({ variables: { changeset: ch.id } }).catch(() => undefined)} aria-label={`Retry ${ch.repository.name}`}>
                Retry
              </button>
            ) : null}
            {published ? (
              <button
                type="button"
                className="btn btn-small"
                disabled={syncing.loading}
                onClick={() => void sync({ variables: { changeset: ch.id } }).then(() => setSynced(true), () => undefined)}
                aria-label={`Sync now: ${ch.repository.name}`}
              >
                Sync now
              </button>
            ) : null}
            {synced ? <span role="status" className="muted small"> sync queued</span> : null}
            <ErrorAlert error={retrying.error ?? syncing.error} />
          </td>
        ) : null}
      </tr>
      {showDiff ? (
        <tr className="diff-row">
          <td colSpan={canAdminister ? 7 : 6}>
            {diff.loading ? <Loading what="Loading the diff" /> : null}
            <ErrorAlert error={diff.error} />
            {fileDiffs ? <FileDiffs files={fileDiffs.files} stats level={4} /> : null}
          </td>
        </tr>
      ) : null}
    </>
  )
}
