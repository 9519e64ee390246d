// GraphQL operations of the repository pages (repository, commit, file).
import { graphql } from '../graphql'

export const REPOSITORY = graphql(`
  query Repository($name: String!) {
    repository(name: $name) {
      id
      name
      url
      description
      isPrivate
      isFork
      isArchived
      mirrorInfo {
        cloned
        updatedAt
        lastError
      }
      defaultBranch {
        displayName
        target {
          commit {
            id
            oid
            abbreviatedOID
            subject
            url
            author {
              name
              date
            }
          }
        }
      }
    }
  }
`)

export const COMMIT = graphql(`
  query Commit($repo: String!, $rev: String!) {
    repository(name: $repo) {
      id
      name
      url
      commit(rev: $rev) {
        id
        oid
        abbreviatedOID
        subject
        body
        url
        author {
          name
          email
          date
        }
        committer {
          name
          email
          date
        }
        parents {
          id
          oid
          abbreviatedOID
          url
        }
        diff {
          truncated
          files {
            oldPath
            newPath
            status
            binary
            hunks {
              oldStart
              oldLines
              newStart
              newLines
              section
              body
            }
          }
        }
      }
    }
  }
`)
