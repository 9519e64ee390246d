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
  query Organization($name: String!, $first: Int!, $after: String) {
    organization(name: $name) {
      id
      name
      displayName
      createdAt
      viewerIsMember
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
