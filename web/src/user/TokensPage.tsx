import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { ShowMore } from '../components/ShowMore'
import { Time } from '../components/Time'
import { ACCESS_TOKENS, CREATE_ACCESS_TOKEN, DELETE_ACCESS_TOKEN } from './backend'

/** /users/:username/settings/tokens: create, list and revoke access tokens. */
export function AccessTokensPage() {
  const { username = '' } = useParams()
  const { data, error, loading, fetchMore, refetch } = useQuery(ACCESS_TOKENS, { variables: { username, first: 50 } })
  const [note, setNote] = useState('')
  const [created, setCreated] = useState<string | null>(null)
  const [create, creating] = useMutation(CREATE_ACCESS_TOKEN)
  const [revoke, revoking] = useMutation(DELETE_ACCESS_TOKEN)
  if (error && !data) return <Page title="Access tokens"><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading />
  const u = data?.user
  if (!u) return <NotFound what="user" />
  const tokens = u.accessTokens
  return (
    <Page title="Access tokens">
      <p className="lead">Tokens let scripts call the API as {u.username}: send them as <code>Authorization: token …</code>.</p>
      <form
        className="form"
        aria-label="New access token"
        onSubmit={(e) => {
          e.preventDefault()
          void create({ variables: { user: u.id, note: note.trim() } })
            .then((r) => {
              setCreated(r.data?.createAccessToken.token ?? null)
              setNote('')
              return refetch()
            })
            .catch(() => undefined)
        }}
      >
        <label>
          What is the token for?
          <input value={note} onChange={(e) => setNote(e.target.value)} required />
        </label>
        <ErrorAlert error={creating.error} prefix="Could not create the token" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!note.trim() || creating.loading}>
            Create token
          </button>
        </div>
      </form>
      {created ? (
        <div className="alert alert-success" role="status">
          Copy the new token now; it is not shown again: <code className="secret">{created}</code>
        </div>
      ) : null}
      <ErrorAlert error={revoking.error} />
      {tokens.nodes.length === 0 ? (
        <p className="empty">No access tokens.</p>
      ) : (
        <>
          <ul className="list" aria-label="Access tokens">
            {tokens.nodes.map((t) => (
              <li key={t.id} className="list-row">
                <div className="list-main">
                  <strong>{t.note}</strong>
                  <div className="muted">
                    {t.scopes.join(', ')} · created <Time date={t.createdAt} />
                    {t.creator.username !== u.username ? ` by ${t.creator.username}` : ''} · last used <Time date={t.lastUsedAt} />
                  </div>
                </div>
                <button
                  type="button"
                  className="btn btn-small btn-danger"
                  onClick={() => void revoke({ variables: { id: t.id } }).then(() => refetch()).catch(() => undefined)}
                >
                  Revoke<span className="visually-hidden"> {t.note}</span>
                </button>
              </li>
            ))}
          </ul>
          <ShowMore pageInfo={tokens.pageInfo} shown={tokens.nodes.length} total={tokens.totalCount} noun="tokens" fetchMore={(after) => fetchMore({ variables: { after } })} />
        </>
      )}
    </Page>
  )
}
