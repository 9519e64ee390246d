import { useQuery } from '@apollo/client/react'
import { Link } from 'react-router'
import { VIEWER_INVITATIONS } from './backend'

/** The navigation bar's note of the signed-in user's pending invitations, each a link to answer it. */
export function InvitationsMenu() {
  const { data } = useQuery(VIEWER_INVITATIONS)
  const invitations = data?.currentUser?.organizationInvitations ?? []
  if (invitations.length === 0) return null
  return (
    <details className="menu">
      <summary>
        {invitations.length} invitation{invitations.length === 1 ? '' : 's'}
      </summary>
      <ul aria-label="Pending invitations">
        {invitations.map((inv) => (
          <li key={inv.id}>
            <Link to={`${inv.organization.url}/invitation`}>
              Join {inv.organization.displayName || inv.organization.name}
            </Link>{' '}
            <span className="muted">from {inv.sender.username}</span>
          </li>
        ))}
      </ul>
    </details>
  )
}
