import { useMutation, useQuery } from '@apollo/client/react'
import { Link, useNavigate, useParams } from 'react-router'
import { ErrorAlert } from '../components/ErrorAlert'
import { Loading } from '../components/Loading'
import { Page } from '../components/Page'
import { NotFound } from '../components/RouteError'
import { Time } from '../components/Time'
import { ORGANIZATION_INVITATION, RESPOND_TO_INVITATION, VIEWER_INVITATIONS } from './backend'

/**
 * /organizations/:name/invitation, the link an invitation gives (inviteUserToOrganization's
 * invitationURL, the email): the invitee accepts, joining the organization, or declines.
 * Signed-out visitors sign in first and come back here.
 */
export function OrgInvitationPage() {
  const { name = '' } = useParams()
  const navigate = useNavigate()
  const { data, error, loading } = useQuery(ORGANIZATION_INVITATION, { variables: { name }, fetchPolicy: 'network-only' })
  const [respond, responding] = useMutation(RESPOND_TO_INVITATION, { refetchQueries: [{ query: VIEWER_INVITATIONS }] })
  if (error && !data) return <Page title="Invitation"><ErrorAlert error={error} /></Page>
  if (loading && !data) return <Loading what="Loading the invitation" />
  const o = data?.organization
  if (!o) return <NotFound what="organization" />
  const orgName = o.displayName || o.name
  const inv = o.viewerPendingInvitation
  if (!inv) {
    return (
      <Page title={`Join ${orgName}`}>
        {o.viewerIsMember ? (
          <p>
            You are a member of <Link to={o.url}>{orgName}</Link>.
          </p>
        ) : (
          <p>
            You have no pending invitation to <Link to={o.url}>{orgName}</Link>: it was answered or withdrawn. Ask one of its members to invite you again.
          </p>
        )}
      </Page>
    )
  }
  const answer = (response: 'ACCEPT' | 'REJECT') =>
    void respond({ variables: { invitation: inv.id, response } })
      .then(() => navigate(response === 'ACCEPT' ? o.url : '/search'))
      .catch(() => undefined)
  return (
    <Page title={`Join ${orgName}`}>
      <p className="lead">
        <strong>{inv.sender.displayName || inv.sender.username}</strong> invited you to join the organization <strong>{orgName}</strong> <Time date={inv.createdAt} />.
      </p>
      <p>Members see the organization's code insights dashboards, and code monitors can email every member.</p>
      <ErrorAlert error={responding.error} prefix="Could not answer the invitation" />
      <div className="form-actions">
        <button type="button" className="btn btn-primary" disabled={responding.loading} onClick={() => answer('ACCEPT')}>
          Accept and join {orgName}
        </button>
        <button type="button" className="btn" disabled={responding.loading} onClick={() => answer('REJECT')}>
          Decline
        </button>
      </div>
    </Page>
  )
}
