import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { ShowMore } from '../components/ShowMore'
import { Time } from '../components/Time'
import { useCurrentUser } from '../components/useCurrentUser'
import { useDebounced } from '../components/useDebounced'
import type { SiteAdminUsersQuery } from '../graphql/graphql'
import { CREATE_USER, DELETE_USER, SET_SITE_ADMIN, USERS } from './backend'

type User = SiteAdminUsersQuery['users']['nodes'][number]

export function UsersPage() {
  const [filter, setFilter] = useState('')
  const query = useDebounced(filter, 300)
  const { data, error, loading, fetchMore, refetch } = useQuery(USERS, { variables: { first: 50, query: query || null } })
  const users = data?.users
  return (
    <Page title="Users">
      <CreateUserForm onCreated={() => void refetch()} />
      <h2>All users</h2>
      <label className="inline">
        Filter by name <input value={filter} onChange={(e) => setFilter(e.target.value)} />
      </label>
      <ErrorAlert error={error} />
      {loading && !users ? <Loading what="Loading users" /> : null}
      {users ? (
        <>
          <ul className="list" aria-label="Users">
            {users.nodes.map((u) => (
              <UserRow key={u.id} user={u} onDeleted={() => void refetch()} />
            ))}
          </ul>
          <ShowMore pageInfo={users.pageInfo} shown={users.nodes.length} total={users.totalCount} noun="users" fetchMore={(after) => fetchMore({ variables: { after } })} />
        </>
      ) : null}
    </Page>
  )
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const [username, setUsername] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [create, { loading, error, data }] = useMutation(CREATE_USER)
  return (
    <form
      className="form"
      aria-label="Create a user"
      onSubmit={(e) => {
        e.preventDefault()
        void create({ variables: { username: username.trim(), email: email.trim() || null, password: password || null } })
          .then(() => {
            setUsername('')
            setEmail('')
            setPassword('')
            onCreated()
          })
          .catch(() => undefined)
      }}
    >
      <h2>Create a user</h2>
      <label>
        Username
        <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" />
      </label>
      <label>
        Email <span className="hint">(optional)</span>
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password <span className="hint">(optional: without one the user signs in with an access token)</span>
        <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <ErrorAlert error={error} prefix="Could not create the user" />
      {data ? <p role="status">Created {data.createUser.user.username}.</p> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={loading || !username.trim()}>
          Create user
        </button>
      </div>
    </form>
  )
}

function UserRow({ user, onDeleted }: { user: User; onDeleted: () => void }) {
  const me = useCurrentUser()
  const [setAdmin, admin] = useMutation(SET_SITE_ADMIN)
  const [remove, removed] = useMutation(DELETE_USER)
  const [confirm, setConfirm] = useState(false)
  const self = user.id === me.id
  return (
    <li className="list-row">
      <div className="list-main">
        <Link className="list-title" to={user.url}>
          {user.username}
        </Link>{' '}
        {user.siteAdmin ? <span className="badge">site admin</span> : null}
        <div className="muted">
          {user.email ?? 'no email'} · joined <Time date={user.createdAt} />
        </div>
      </div>
      <div className="list-side">
        {!self ? (
          <>
            <button
              type="button"
              className="btn btn-small"
              disabled={admin.loading}
              onClick={() =>
                void setAdmin({ variables: { userID: user.id, siteAdmin: !user.siteAdmin }, update: (cache) => cache.modify({ id: cache.identify(user), fields: { siteAdmin: () => !user.siteAdmin } }) }).catch(() => undefined)
              }
            >
              {user.siteAdmin ? `Revoke site admin from ${user.username}` : `Make ${user.username} site admin`}
            </button>
            {confirm ? (
              <span role="alertdialog" aria-label={`Delete ${user.username}?`}>
                <button type="button" className="btn btn-small btn-danger" onClick={() => void remove({ variables: { user: user.id } }).then(onDeleted).catch(() => undefined)}>
                  Yes, delete {user.username}
                </button>{' '}
                <button type="button" className="btn btn-small" onClick={() => setConfirm(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" className="btn btn-small" onClick={() => setConfirm(true)}>
                Delete {user.username}
              </button>
            )}
          </>
        ) : (
          <span className="muted">you</span>
        )}
        <ErrorAlert error={admin.error ?? removed.error} />
      </div>
    </li>
  )
}
