import { useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { ShowMore } from '../components/ShowMore'
import { Time } from '../components/Time'
import { EXTERNAL_SERVICES } from './backend'
import { kindLabels } from './configCheck'

export function ExternalServicesPage() {
  const { data, error, loading, fetchMore } = useQuery(EXTERNAL_SERVICES, { variables: { first: 50 } })
  const services = data?.externalServices
  return (
    <Page
      title="Code host connections"
      actions={
        <Link className="btn btn-primary" to="/site-admin/external-services/new">
          Add a connection
        </Link>
      }
    >
      <ErrorAlert error={error} />
      {loading && !services ? <Loading what="Loading the connections" /> : null}
      {services && services.nodes.length === 0 ? <p className="empty">No code host connections yet: add one to mirror its repositories.</p> : null}
      {services && services.nodes.length > 0 ? (
        <>
          <ul className="list" aria-label="Code host connections">
            {services.nodes.map((s) => (
              <li key={s.id} className="list-row">
                <div className="list-main">
                  <Link className="list-title" to={`/site-admin/external-services/${encodeURIComponent(s.id)}`}>
                    {s.displayName}
                  </Link>{' '}
                  <span className="muted">{kindLabels[s.kind]}</span>
                  <div className="muted">
                    {s.repoCount} repositories · last synced <Time date={s.lastSyncAt} />
                  </div>
                  {s.lastSyncError ? <div className="field-error">Last sync failed: {s.lastSyncError}</div> : null}
                </div>
              </li>
            ))}
          </ul>
          <ShowMore pageInfo={services.pageInfo} shown={services.nodes.length} total={services.totalCount} noun="connections" fetchMore={(after) => fetchMore({ variables: { after } })} />
        </>
      ) : null}
    </Page>
  )
}
