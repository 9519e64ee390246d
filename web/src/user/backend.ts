// GraphQL operations of the user and organization pages.
import { graphql } from '../graphql'

export const USER = graphql(`
  query User($username: String!) {
    user(username: $username) {
      id
      username
      displayName
      email
      siteAdmin
      createdAt
      viewerCanAdminister
      organizations {
        nodes {
          id
          name
          url
        }
      }
    }
  }
`)

export const ACCESS_TOKENS = graphql(`
  query AccessTokens($username: String!, $first: Int!, $after: String) {
    user(username: $username) {
      id
      username
      accessTokens(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          note
          scopes
          createdAt
          lastUsedAt
          creator {
            id
            username
          }
        }
      }
    }
  }
`)

export const CREATE_ACCESS_TOKEN = graphql(`
  mutation CreateAccessToken($user: ID!, $note: String!) {
    createAccessToken(user: $user, scopes: ["user:all"], note: $note) {
      id
      token
    }
  }
`)

export const DELETE_ACCESS_TOKEN = graphql(`
  mutation DeleteAccessToken($id: ID!) {
    deleteAccessToken(byID: $id) {
      alwaysNil
    }
  }
`)

export const ORGANIZATION = graphql(`
  query Organization($name: String!) {
    organization(name: $name) {
      id
      name
      displayName
      url
      createdAt
      viewerIsMember
      viewerPendingInvitation {
        id
      }
    }
  }
`)

/** An organization's members: visible to its members and site admins. */
export const ORGANIZATION_MEMBERS = graphql(`
  query OrganizationMembers($name: String!, $first: Int!, $after: String) {
    organization(name: $name) {
      id
      members(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          username
          url
        }
      }
    }
  }
`)

export const PENDING_INVITATIONS = graphql(`
  query PendingInvitations($organization: ID!) {
    pendingInvitations(organization: $organization) {
      id
      createdAt
      notifiedAt
      recipient {
        id
        username
        url
      }
      sender {
        id
        username
      }
    }
  }
`)

export const INVITE_USER = graphql(`
  mutation InviteUserToOrganization($organization: ID!, $username: String!) {
    inviteUserToOrganization(organization: $organization, username: $username) {
      sentInvitationEmail
      invitationURL
    }
  }
`)

export const REVOKE_INVITATION = graphql(`
  mutation RevokeOrganizationInvitation($invitation: ID!) {
    revokeOrganizationInvitation(organizationInvitation: $invitation) {
      alwaysNil
    }
  }
`)

/** The organization an invitation link names, and the viewer's invitation to it. */
export const ORGANIZATION_INVITATION = graphql(`
  query OrganizationInvitation($name: String!) {
    organization(name: $name) {
      id
      name
      displayName
      url
      viewerIsMember
      viewerPendingInvitation {
        id
        createdAt
        sender {
          id
          username
          displayName
        }
      }
    }
  }
`)

export const RESPOND_TO_INVITATION = graphql(`
  mutation RespondToOrganizationInvitation($invitation: ID!, $response: OrganizationInvitationResponseType!) {
    respondToOrganizationInvitation(organizationInvitation: $invitation, responseType: $response) {
      alwaysNil
    }
  }
`)

/** The signed-in user's unanswered invitations (the navigation bar's menu). */
export const VIEWER_INVITATIONS = graphql(`
  query ViewerInvitations {
    currentUser {
      id
      organizationInvitations {
        id
        organization {
          id
          name
          displayName
          url
        }
        sender {
          id
          username
        }
      }
    }
  }
`)
