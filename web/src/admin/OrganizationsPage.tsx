import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { ConnectionList } from '../components/ConnectionList'
import { Page } from '../components/Page'
import { Time } from '../components/Time'
import { CREATE_ORGANIZATION, ORGANIZATIONS } from './backend'

export function OrganizationsPage() {
  const { data, error, loading, fetchMore, refetch } = useQuery(ORGANIZATIONS, { variables: { first: 50 } })
  const [name, setName] = useState('')
  const [create, created] = useMutation(CREATE_ORGANIZATION)
  const orgs = data?.organizations
  return (
    <Page title="Organizations">
      <form
        className="form"
        aria-label="Create an organization"
        onSubmit={(e) => {
          e.preventDefault()
          void create({ variables: { name: name.trim() } })
            .then(() => {
              setName('')
              void refetch()
            })
            .catch(() => undefined)
        }}
      >
        <label>
          New organization name
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <ErrorAlert error={created.error} prefix="Could not create the organization" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!name.trim() || created.loading}>
            Create organization
          </button>
        </div>
      </form>
      <ConnectionList
        connection={orgs}
        loading={loading}
        error={error}
        label="Organizations"
        noun="organizations"
        empty="No organizations yet."
        fetchMore={(after) => fetchMore({ variables: { after } })}
        row={(o) => (
              <li key={o.id} className="list-row">
                <div className="list-main">
                  <Link className="list-title" to={o.url}>
                    {o.name}
                  </Link>{' '}
                  {o.displayName && o.displayName !== o.name ? <span className="muted">{o.displayName}</span> : null}
                  <div className="muted">
                    {o.members.totalCount} member{o.members.totalCount === 1 ? '' : 's'} · created <Time date={o.createdAt} />
                  </div>
                </div>
              </li>
        )}
      />
    </Page>
  )
}
