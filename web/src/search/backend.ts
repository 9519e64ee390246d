// GraphQL operations of the search page.
import { graphql } from '../graphql'

export const SEARCH = graphql(`
  query Search($query: String!) {
    search(query: $query) {
      results {
        matchCount
        limitHit
        incomplete
        elapsedMilliseconds
        cloning {
          id
          name
        }
        missing {
          id
          name
        }
        timedout {
          id
          name
        }
        repositoryCounts {
          matchCount
          repository {
            id
            name
          }
        }
        results {
          __typename
          ... on FileMatch {
            repository {
              id
              name
              url
            }
            file {
              path
              url
              commit {
                id
                oid
              }
            }
            lineMatches {
              preview
              lineNumber
              offsetAndLengths
            }
          }
          ... on CommitSearchResult {
            url
            commit {
              id
              abbreviatedOID
              subject
              author {
                name
                date
              }
              repository {
                id
                name
                url
              }
            }
            messagePreview {
              value
              highlights {
                line
                character
                length
              }
            }
            diffPreview {
              value
              highlights {
                line
                character
                length
              }
            }
          }
          ... on Repository {
            id
            name
            url
            description
          }
        }
      }
      stats {
        approximateResultCount
      }
    }
  }
`)

export const REPO_SUGGESTIONS = graphql(`
  query RepoSuggestions($query: String!) {
    repositories(first: 8, query: $query) {
      nodes {
        id
        name
      }
    }
  }
`)
