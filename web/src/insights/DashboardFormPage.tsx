// Create a dashboard (/insights/add-dashboard) or rename and share one
// (/insights/dashboards/:id/edit): a title and who sees it.
import { useMutation, useQuery } from '@apollo/client/react'
import { useState, type FormEvent } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { useCurrentUser } from '../components/useCurrentUser'
import type { InsightsPermissionGrantsInput } from '../graphql/graphql'
import { CREATE_DASHBOARD, DASHBOARDS, UPDATE_DASHBOARD } from './backend'
import './insights.css'

/** "user" (only me), "global", or an organization's ID. */
type Visibility = string

function grantsFor(v: Visibility, userID: string): InsightsPermissionGrantsInput {
  if (v === 'global') return { global: true, users: [], organizations: [] }
  if (v === 'user') return { users: [userID], organizations: [], global: false }
  return { organizations: [v], users: [], global: false }
}

export function AddDashboardPage() {
  return <DashboardForm />
}

export function EditDashboardPage() {
  const { dashboardId = '' } = useParams()
  return <DashboardForm id={dashboardId} />
}

function DashboardForm({ id }: { id?: string }) {
  const user = useCurrentUser()
  const navigate = useNavigate()
  const { data, loading, error } = useQuery(DASHBOARDS)
  const existing = id ? data?.insightsDashboards.nodes.find((d) => d.id === id) : undefined
  const [title, setTitle] = useState<string | null>(null)
  const [visibility, setVisibility] = useState<Visibility | null>(null)
  const [create, creating] = useMutation(CREATE_DASHBOARD, { refetchQueries: ['InsightsDashboards'] })
  const [update, updating] = useMutation(UPDATE_DASHBOARD, { refetchQueries: ['InsightsDashboards'] })
  if (id && loading && !data) return <Loading what="Loading the dashboard" />
  if (id && data && !existing) return <NotFound what="dashboard" />
  const orgs = data?.currentUser?.organizations.nodes ?? []
  const currentTitle = title ?? existing?.title ?? ''
  const currentVisibility = visibility ?? (existing ? (existing.grants.global ? 'global' : (existing.grants.organizations[0] ?? 'user')) : 'user')
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const input = { title: currentTitle.trim(), grants: grantsFor(currentVisibility, user.id) }
    if (existing) {
      await update({ variables: { id: existing.id, input } })
      void navigate(`/insights/dashboards/${encodeURIComponent(existing.id)}`)
    } else {
      const res = await create({ variables: { input } })
      const created = res.data?.createInsightsDashboard.dashboard.id
      if (created) void navigate(`/insights/dashboards/${encodeURIComponent(created)}`)
    }
  }
  return (
    <Page title={existing ? `Edit ${existing.title}` : 'New dashboard'}>
      <ErrorAlert error={error} />
      <form className="form" onSubmit={(e) => void submit(e).catch(() => undefined)}>
        <label>
          Title
          <input value={currentTitle} onChange={(e) => setTitle(e.target.value)} required maxLength={200} aria-invalid={currentTitle.trim() === ''} />
        </label>
        <fieldset>
          <legend>Visible to</legend>
          <div className="radio-group">
            <label>
              <input type="radio" name="visibility" checked={currentVisibility === 'user'} onChange={() => setVisibility('user')} />
              Only you
            </label>
            {orgs.map((o) => (
              <label key={o.id}>
                <input type="radio" name="visibility" checked={currentVisibility === o.id} onChange={() => setVisibility(o.id)} />
                Members of {o.displayName || o.name}
              </label>
            ))}
            <label>
              <input type="radio" name="visibility" checked={currentVisibility === 'global'} disabled={!user.siteAdmin} onChange={() => setVisibility('global')} />
              Everyone{user.siteAdmin ? '' : ' (site admins only)'}
            </label>
          </div>
        </fieldset>
        <ErrorAlert error={creating.error ?? updating.error} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={creating.loading || updating.loading || currentTitle.trim() === ''}>
            {existing ? 'Save' : 'Create dashboard'}
          </button>
          <Link className="btn" to={existing ? `/insights/dashboards/${encodeURIComponent(existing.id)}` : '/insights'}>
            Cancel
          </Link>
        </div>
      </form>
    </Page>
  )
}
