import { useMutation, useQuery } from '@apollo/client/react'
import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { ShowMore } from '../components/ShowMore'
import { Time } from '../components/Time'
import { useCurrentUser } from '../components/useCurrentUser'
import { INVITE_USER, ORGANIZATION, ORGANIZATION_MEMBERS, PENDING_INVITATIONS, REVOKE_INVITATION } from './backend'

/**
 * /organizations/:name, an organization namespace's URL: its members; members (and site
 * admins) invite users by name and see and withdraw the invitations not answered yet.
 * Membership is by invitation: the invitee joins by accepting (OrgInvitationPage).
 */
export function OrgPage() {
  const { name = '' } = useParams()
  const user = useCurrentUser()
  const { data, error, loading } = useQuery(ORGANIZATION, { variables: { name } })
  const o = data?.organization
  const insider = !!o && (o.viewerIsMember || user.siteAdmin)
  const members = useQuery(ORGANIZATION_MEMBERS, { variables: { name, first: 50 }, skip: !insider })
  if (error && !data) return <Page title={name}><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading />
  if (!o) return <NotFound what="organization" />
  const m = members.data?.organization?.members
  return (
    <Page title={o.displayName || o.name}>
      <p className="muted">
        {o.name} · created <Time date={o.createdAt} />
        {o.viewerIsMember ? ' · you are a member' : ''}
      </p>
      {o.viewerPendingInvitation ? (
        <p className="alert alert-info">
          You are invited to join this organization: <Link to={`${o.url}/invitation`}>answer the invitation</Link>.
        </p>
      ) : null}
      {insider ? (
        <>
          <h2>Members</h2>
          <ErrorAlert error={members.error} />
          {m ? (
            <>
              <ul className="list" aria-label="Members">
                {m.nodes.map((u) => (
                  <li key={u.id} className="list-row">
                    <Link to={u.url}>{u.username}</Link>
                  </li>
                ))}
              </ul>
              <ShowMore pageInfo={m.pageInfo} shown={m.nodes.length} total={m.totalCount} noun="members" fetchMore={(after) => members.fetchMore({ variables: { after } })} />
            </>
          ) : members.loading ? (
            <Loading what="Loading the members" />
          ) : null}
          <Invitations orgID={o.id} />
        </>
      ) : (
        <p className="muted">Only members see who belongs to the organization.</p>
      )}
    </Page>
  )
}

/** The invite form and the pending invitations, for members and site admins. */
function Invitations({ orgID }: { orgID: string }) {
  const [username, setUsername] = useState('')
  const pending = useQuery(PENDING_INVITATIONS, { variables: { organization: orgID }, fetchPolicy: 'cache-and-network' })
  const refetchQueries = [{ query: PENDING_INVITATIONS, variables: { organization: orgID } }]
  const [invite, invited] = useMutation(INVITE_USER, { refetchQueries })
  const [revoke, revoking] = useMutation(REVOKE_INVITATION, { refetchQueries })
  const [sentTo, setSentTo] = useState<string | null>(null)
  const result = invited.data?.inviteUserToOrganization
  const invitations = pending.data?.pendingInvitations ?? []
  return (
    <section aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Invitations</h2>
      <form
        className="form"
        aria-label="Invite a member"
        onSubmit={(e) => {
          e.preventDefault()
          const name = username.trim()
          void invite({ variables: { organization: orgID, username: name } })
            .then(() => {
              setSentTo(name)
              setUsername('')
            })
            .catch(() => undefined)
        }}
      >
        <label>
          Invite a user by username
          <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
        </label>
        <p className="hint">They join when they accept. Site admins add members directly on the site admin's organizations page.</p>
        <ErrorAlert error={invited.error} prefix="Could not invite" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!username.trim() || invited.loading}>
            Send invitation
          </button>
        </div>
      </form>
      {result && sentTo && !invited.error ? (
        <div className="alert alert-success" role="status">
          {result.sentInvitationEmail ? (
            <>Invited {sentTo}: an email told them. They can also answer at </>
          ) : (
            <>Invited {sentTo}. No email was sent: pass them this link to answer the invitation: </>
          )}
          <code className="secret">{result.invitationURL}</code>
        </div>
      ) : null}
      <ErrorAlert error={pending.error ?? revoking.error} />
      {invitations.length === 0 ? (
        <p className="muted">No invitation is waiting for an answer.</p>
      ) : (
        <ul className="list" aria-label="Pending invitations">
          {invitations.map((inv) => (
            <li key={inv.id} className="list-row">
              <div className="list-main">
                <Link to={inv.recipient.url}>{inv.recipient.username}</Link>
                <div className="muted">
                  invited by {inv.sender.username} <Time date={inv.createdAt} />
                  {inv.notifiedAt ? ' · emailed' : ' · not emailed'}
                </div>
              </div>
              <button type="button" className="btn btn-small" disabled={revoking.loading} onClick={() => void revoke({ variables: { invitation: inv.id } }).catch(() => undefined)}>
                Revoke the invitation of {inv.recipient.username}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
