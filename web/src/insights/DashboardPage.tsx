// The insights dashboards: /insights picks the last visited one, /insights/dashboards/:id
// shows one as a grid of cards, /insights/all shows every insight the viewer may see.
import { useApolloClient, useMutation, useQuery } from '@apollo/client/react'
import { useEffect, useRef, useState } from 'react'
import { Link, Navigate, useNavigate, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { ShowMore } from '../components/ShowMore'
import { NotFound } from '../components/RouteError'
import type { InsightsDashboardsQuery, InsightsDashboardViewsQuery } from '../graphql/graphql'
import { ADD_VIEW_TO_DASHBOARD, DASHBOARD_VIEWS, DASHBOARDS, DELETE_DASHBOARD, REMOVE_VIEW_FROM_DASHBOARD, VIEW_TITLES } from './backend'
import { viewTitle } from './chartData'
import { InsightCard } from './InsightCard'
import { dashboardPrefetch } from './prefetch'
import './insights.css'

const LAST_DASHBOARD = 'lookout.insights.lastDashboard'

type Dashboard = InsightsDashboardsQuery['insightsDashboards']['nodes'][number]

/** /insights: the dashboard visited last, else the first one, else all insights. */
export function InsightsHome() {
  const { data, error } = useQuery(DASHBOARDS, { fetchPolicy: 'network-only' })
  if (error) {
    return (
      <Page title="Insights">
        <ErrorAlert error={error} />
      </Page>
    )
  }
  if (!data) return <Loading what="Loading dashboards" />
  const list = data.insightsDashboards.nodes
  const last = localStorage.getItem(LAST_DASHBOARD)
  const target = list.find((d) => d.id === last) ?? list[0]
  return <Navigate replace to={target ? `/insights/dashboards/${encodeURIComponent(target.id)}` : '/insights/all'} />
}

/** Whom a dashboard is shared with, in words. */
export function sharing(d: Dashboard, orgNames: Map<string, string>): string {
  if (d.grants.global) return 'everyone'
  if (d.grants.organizations.length) return d.grants.organizations.map((o) => orgNames.get(o) ?? 'an organization').join(', ')
  return 'only you'
}

function DashboardPicker({ current }: { current: string }) {
  const navigate = useNavigate()
  const { data } = useQuery(DASHBOARDS)
  const list = data?.insightsDashboards.nodes ?? []
  const orgs = new Map((data?.currentUser?.organizations.nodes ?? []).map((o) => [o.id, o.displayName || o.name]))
  const groups: [string, Dashboard[]][] = [
    ['Yours', list.filter((d) => !d.grants.global && d.grants.organizations.length === 0)],
    ["Your organizations'", list.filter((d) => !d.grants.global && d.grants.organizations.length > 0)],
    ['Global', list.filter((d) => d.grants.global)],
  ]
  return (
    <div className="dashboard-bar">
      <label>
        Dashboard
        <select
          value={current}
          onChange={(e) => navigate(e.target.value === 'all' ? '/insights/all' : `/insights/dashboards/${encodeURIComponent(e.target.value)}`)}
        >
          <option value="all">All insights</option>
          {groups.map(([name, ds]) =>
            ds.length ? (
              <optgroup key={name} label={name}>
                {ds.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.title} ({sharing(d, orgs)})
                  </option>
                ))}
              </optgroup>
            ) : null,
          )}
        </select>
      </label>
      <Link to="/insights/add-dashboard">New dashboard</Link>
    </div>
  )
}

export function DashboardPage() {
  const { dashboardId = '' } = useParams()
  // A page per dashboard: its prefetched read and own requests start afresh.
  return <DashboardView key={dashboardId} dashboardId={dashboardId} />
}

function DashboardView({ dashboardId }: { dashboardId: string }) {
  const navigate = useNavigate()
  // One request for the whole dashboard, not cached (see InsightCard): the one the route's
  // loader started (./prefetch), and the page's own only when that failed or for a refresh.
  const [prefetch] = useState(() => dashboardPrefetch(dashboardId))
  const [prefetched, setPrefetched] = useState<InsightsDashboardViewsQuery>()
  const [own, setOwn] = useState(!prefetch)
  useEffect(() => {
    let live = true
    void prefetch?.then((d) => {
      if (!live) return
      if (d) setPrefetched(d)
      else setOwn(true)
    })
    return () => {
      live = false
    }
  }, [prefetch])
  const q = useQuery(DASHBOARD_VIEWS, { variables: { id: dashboardId }, fetchPolicy: 'no-cache', skip: !own })
  const data = q.data ?? prefetched
  const error = q.error
  const loading = own ? q.loading : !prefetched
  const refetch = async () => {
    if (own) await q.refetch()
    else setOwn(true)
  }
  const [del, deleting] = useMutation(DELETE_DASHBOARD, { refetchQueries: ['InsightsDashboards'], awaitRefetchQueries: true })
  const [confirmDelete, setConfirmDelete] = useState(false)
  const [picking, setPicking] = useState(false)
  const [copied, setCopied] = useState('')
  const dashboard = data?.insightsDashboards.nodes[0]
  useEffect(() => {
    if (dashboard) localStorage.setItem(LAST_DASHBOARD, dashboard.id)
  }, [dashboard])
  if (data && !dashboard) return <NotFound what="dashboard" />
  const views = (dashboard?.views?.nodes ?? []).filter((v): v is NonNullable<typeof v> => v != null)
  return (
    <Page
      title={dashboard ? dashboard.title : 'Insights'}
      actions={
        <Link className="btn btn-primary" to={`/insights/create?dashboardId=${encodeURIComponent(dashboardId)}`}>
          Create insight
        </Link>
      }
    >
      <DashboardPicker current={dashboardId} />
      <ErrorAlert error={error} />
      {loading && !data ? <Loading what="Loading the dashboard" /> : null}
      {dashboard ? (
        <div className="page-actions" role="group" aria-label="Dashboard actions">
          {dashboard.viewerCanEdit ? (
            <>
              <button type="button" className="btn" onClick={() => setPicking(true)}>
                Add or remove insights
              </button>
              <Link className="btn" to={`/insights/dashboards/${encodeURIComponent(dashboard.id)}/edit`}>
                Rename or share
              </Link>
            </>
          ) : (
            <span className="muted">This dashboard is shared with everyone; only its owners and site admins change it.</span>
          )}
          <button
            type="button"
            className="btn"
            onClick={() => {
              const url = window.location.href
              navigator.clipboard?.writeText(url).then(
                () => setCopied('Link copied.'),
                () => setCopied(url),
              )
              if (!navigator.clipboard) setCopied(url)
            }}
          >
            Copy link
          </button>
          {dashboard.viewerCanEdit ? (
            confirmDelete ? (
              <span role="group" aria-label="Confirm deletion">
                Delete the dashboard (its insights stay)?{' '}
                <button
                  type="button"
                  className="btn btn-danger"
                  disabled={deleting.loading}
                  onClick={() =>
                    void del({ variables: { id: dashboard.id } }).then(() => {
                      localStorage.removeItem(LAST_DASHBOARD)
                      void navigate('/insights', { replace: true })
                    }, () => undefined)
                  }
                >
                  Delete dashboard
                </button>{' '}
                <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </button>
              </span>
            ) : (
              <button type="button" className="btn" onClick={() => setConfirmDelete(true)}>
                Delete…
              </button>
            )
          ) : null}
          <span role="status">{copied}</span>
        </div>
      ) : null}
      <ErrorAlert error={deleting.error} />
      {dashboard && views.length === 0 ? (
        <div className="empty">
          <p>This dashboard has no insights yet.</p>
          {dashboard.viewerCanEdit ? (
            <p>
              <button type="button" className="btn" onClick={() => setPicking(true)}>
                Add insights
              </button>{' '}
              or <Link to={`/insights/create?dashboardId=${encodeURIComponent(dashboard.id)}`}>create a new one</Link>
            </p>
          ) : null}
        </div>
      ) : null}
      {views.length > 0 ? (
        <div className="insights-grid">
          {views.map((v) => (
            <InsightCard key={v.id} id={v.id} preloaded={v} dashboardId={dashboardId} dashboardEditable={dashboard?.viewerCanEdit ?? false} onGone={() => void refetch()} />
          ))}
        </div>
      ) : null}
      {picking && dashboard ? (
        <AddRemoveInsights
          dashboardId={dashboard.id}
          title={dashboard.title}
          onDashboard={new Set(views.map((v) => v.id))}
          onClose={(changed) => {
            setPicking(false)
            if (changed) void refetch()
          }}
        />
      ) : null}
    </Page>
  )
}

/** A modal dialog of every insight the viewer may see, checked where on the dashboard. */
function AddRemoveInsights({ dashboardId, title, onDashboard, onClose }: { dashboardId: string; title: string; onDashboard: Set<string>; onClose: (changed: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [find, setFind] = useState('')
  const [checked, setChecked] = useState(() => new Set(onDashboard))
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const { data, loading } = useQuery(VIEW_TITLES, { variables: { first: 100, find: find || undefined } })
  const [add] = useMutation(ADD_VIEW_TO_DASHBOARD)
  const [remove] = useMutation(REMOVE_VIEW_FROM_DASHBOARD)
  useEffect(() => {
    dialog.current?.showModal()
  }, [])
  const save = async () => {
    setSaving(true)
    setError(null)
    try {
      for (const id of checked) if (!onDashboard.has(id)) await add({ variables: { input: { insightViewId: id, dashboardId } } })
      for (const id of onDashboard) if (!checked.has(id)) await remove({ variables: { input: { insightViewId: id, dashboardId } } })
      onClose(true)
    } catch (err) {
      setError(err)
    } finally {
      setSaving(false)
    }
  }
  return (
    <dialog ref={dialog} className="modal" aria-labelledby="pick-title" onCancel={() => onClose(false)}>
      <h2 id="pick-title">Insights on {title}</h2>
      <div className="form">
        <label>
          Find insights
          <input value={find} onChange={(e) => setFind(e.target.value)} placeholder="Title or series name" />
        </label>
        {loading && !data ? <Loading what="Loading insights" /> : null}
        <ul className="picker-list" aria-label="Insights">
          {(data?.insightViews.nodes ?? []).flatMap((v) =>
            v
              ? [
                  <li key={v.id}>
                    <label className="inline">
                      <input
                        type="checkbox"
                        checked={checked.has(v.id)}
                        onChange={(e) =>
                          setChecked((prev) => {
                            const next = new Set(prev)
                            if (e.target.checked) next.add(v.id)
                            else next.delete(v.id)
                            return next
                          })
                        }
                      />
                      {viewTitle(v)}
                    </label>
                  </li>,
                ]
              : [],
          )}
        </ul>
        <ErrorAlert error={error} />
        <div className="form-actions">
          <button type="button" className="btn btn-primary" disabled={saving} onClick={() => void save()}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" className="btn" onClick={() => onClose(false)}>
            Cancel
          </button>
        </div>
      </div>
    </dialog>
  )
}

/** Every insight the viewer may see, as cards (a dashboard of all of them). */
export function AllInsightsPage() {
  const { data, error, loading, fetchMore, refetch } = useQuery(VIEW_TITLES, { variables: { first: 24 } })
  const client = useApolloClient()
  const views = data?.insightViews
  return (
    <Page
      title="All insights"
      actions={
        <Link className="btn btn-primary" to="/insights/create">
          Create insight
        </Link>
      }
    >
      <DashboardPicker current="all" />
      <ErrorAlert error={error} />
      {loading && !views ? <Loading what="Loading insights" /> : null}
      {views && views.nodes.length === 0 ? (
        <div className="empty">
          <p>No insights yet. Insights track how search results change over time: a migration, a deprecated API, languages.</p>
          <Link to="/insights/create">Create your first insight</Link>
        </div>
      ) : null}
      {views && views.nodes.length > 0 ? (
        <>
          <div className="insights-grid">
            {views.nodes.flatMap((v) =>
              v
                ? [
                    <InsightCard
                      key={v.id}
                      id={v.id}
                      onGone={() => {
                        void client.refetchQueries({ include: ['InsightsDashboardViews'] })
                        void refetch()
                      }}
                    />,
                  ]
                : [],
            )}
          </div>
          <ShowMore pageInfo={views.pageInfo} shown={views.nodes.length} total={views.totalCount ?? views.nodes.length} noun="insights" fetchMore={(after) => fetchMore({ variables: { after } })} />
        </>
      ) : null}
    </Page>
  )
}
