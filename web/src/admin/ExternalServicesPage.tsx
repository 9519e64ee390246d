import { useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { ConnectionList } from '../components/ConnectionList'
import { Page } from '../components/Page'
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
      <ConnectionList
        connection={services}
        loading={loading}
        error={error}
        label="Code host connections"
        noun="connections"
        empty="No code host connections yet: add one to mirror its repositories."
        fetchMore={(after) => fetchMore({ variables: { after } })}
        row={(s) => (
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
        )}
      />
    </Page>
  )
}
