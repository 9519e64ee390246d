import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { ConnectionList } from '../components/ConnectionList'
import { Page } from '../components/Page'
import { Time } from '../components/Time'
import { ADD_USER_TO_ORGANIZATION, CREATE_ORGANIZATION, ORGANIZATIONS } from './backend'

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
                <AddMember org={o} onAdded={() => void refetch()} />
              </li>
        )}
      />
    </Page>
  )
}

/**
 * Adds a user to an organization at once (addUserToOrganization, site admins only);
 * members elsewhere invite, and the invitee decides.
 */
function AddMember({ org, onAdded }: { org: { id: string; name: string }; onAdded: () => void }) {
  const [open, setOpen] = useState(false)
  const [username, setUsername] = useState('')
  const [added, setAdded] = useState<string | null>(null)
  const [add, adding] = useMutation(ADD_USER_TO_ORGANIZATION)
  if (!open) {
    return (
      <div className="list-side">
        {added ? <span role="status">Added {added}.</span> : null}
        <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
          Add a member to {org.name}
        </button>
      </div>
    )
  }
  return (
    <form
      className="list-side"
      aria-label={`Add a member to ${org.name}`}
      onSubmit={(e) => {
        e.preventDefault()
        const name = username.trim()
        void add({ variables: { organization: org.id, username: name } })
          .then(() => {
            setAdded(name)
            setUsername('')
            setOpen(false)
            onAdded()
          })
          .catch(() => undefined)
      }}
    >
      <label className="inline">
        Username <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
      </label>
      <button type="submit" className="btn btn-small btn-primary" disabled={!username.trim() || adding.loading}>
        Add now
      </button>
      <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorAlert error={adding.error} prefix="Could not add" />
    </form>
  )
}
