// GraphQL operations of the campaign pages (a minimal list and detail; Web app II
// builds the full pages).
import { graphql } from '../graphql'

export const CAMPAIGNS = graphql(`
  query Campaigns($first: Int!, $after: String) {
    campaigns(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        description
        url
        createdAt
        closedAt
        publishedAt
        namespace {
          id
          namespaceName
        }
      }
    }
  }
`)

export const CAMPAIGN = graphql(`
  query Campaign($id: ID!) {
    node(id: $id) {
      __typename
      ... on Campaign {
        id
        name
        description
        branch
        url
        createdAt
        updatedAt
        closedAt
        publishedAt
        namespace {
          id
          namespaceName
          url
        }
        author {
          id
          username
        }
        changesets(first: 50) {
          totalCount
          nodes {
            id
            title
            state
            externalURL
            repository {
              id
              name
              url
            }
          }
        }
      }
    }
  }
`)
