// GraphQL operations of the site admin pages.
import { graphql } from '../graphql'

export const BACKGROUND_JOBS = graphql(`
  query BackgroundJobs {
    backgroundJobs {
      queues {
        name
        table
        queued
        oldestQueuedAt
        oldestQueuedAgeSeconds
        processing
        failedLastHour
        erroredLastHour
        handlers {
          hostname
          handlers
        }
      }
      workers {
        hostname
        jobs
        queues {
          queue
          handlers
        }
        startedAt
        lastHeartbeatAt
      }
      routines {
        name
        lastStartedAt
        lastFinishedAt
        durationMilliseconds
        lastError
        workerHostname
      }
    }
  }
`)

export const EXTERNAL_SERVICE_FIELDS = graphql(`
  fragment ExternalServiceFields on ExternalService {
    id
    kind
    displayName
    config
    createdAt
    updatedAt
    lastSyncAt
    nextSyncAt
    lastSyncError
    repoCount
    webhookURL
  }
`)

export const EXTERNAL_SERVICES = graphql(`
  query ExternalServices($first: Int!, $after: String) {
    externalServices(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...ExternalServiceFields
      }
    }
  }
`)

export const EXTERNAL_SERVICE = graphql(`
  query ExternalService($id: ID!) {
    node(id: $id) {
      __typename
      ... on ExternalService {
        ...ExternalServiceFields
        syncJobs(first: 5) {
          state
          failureMessage
          queuedAt
          finishedAt
          reposAdded
          reposRemoved
        }
      }
    }
  }
`)

export const ADD_EXTERNAL_SERVICE = graphql(`
  mutation AddExternalService($input: AddExternalServiceInput!) {
    addExternalService(input: $input) {
      ...ExternalServiceFields
    }
  }
`)

export const UPDATE_EXTERNAL_SERVICE = graphql(`
  mutation UpdateExternalService($input: UpdateExternalServiceInput!) {
    updateExternalService(input: $input) {
      ...ExternalServiceFields
    }
  }
`)

export const DELETE_EXTERNAL_SERVICE = graphql(`
  mutation DeleteExternalService($id: ID!) {
    deleteExternalService(externalService: $id) {
      alwaysNil
    }
  }
`)

export const SYNC_EXTERNAL_SERVICE = graphql(`
  mutation SyncExternalService($id: ID!) {
    syncExternalService(id: $id) {
      alwaysNil
    }
  }
`)

export const REPOSITORIES = graphql(`
  query SiteAdminRepositories($first: Int!, $after: String, $query: String, $failedFetch: Boolean) {
    repositories(first: $first, after: $after, query: $query, failedFetch: $failedFetch) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        url
        isPrivate
        mirrorInfo {
          cloned
          cloneInProgress
          updatedAt
          lastChangedAt
          nextFetchAt
          lastError
          byteSize
        }
      }
    }
  }
`)

export const FETCH_REPOSITORY = graphql(`
  mutation FetchRepository($id: ID!) {
    updateMirrorRepository(repository: $id) {
      alwaysNil
    }
  }
`)

export const USERS = graphql(`
  query SiteAdminUsers($first: Int!, $after: String, $query: String) {
    users(first: $first, after: $after, query: $query) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        username
        displayName
        email
        siteAdmin
        createdAt
        url
      }
    }
  }
`)

export const CREATE_USER = graphql(`
  mutation CreateUser($username: String!, $email: String, $password: String) {
    createUser(username: $username, email: $email, password: $password) {
      user {
        id
        username
      }
    }
  }
`)

export const SET_SITE_ADMIN = graphql(`
  mutation SetUserIsSiteAdmin($userID: ID!, $siteAdmin: Boolean!) {
    setUserIsSiteAdmin(userID: $userID, siteAdmin: $siteAdmin) {
      alwaysNil
    }
  }
`)

export const DELETE_USER = graphql(`
  mutation DeleteUser($user: ID!) {
    deleteUser(user: $user) {
      alwaysNil
    }
  }
`)

export const ORGANIZATIONS = graphql(`
  query SiteAdminOrganizations($first: Int!, $after: String) {
    organizations(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        displayName
        createdAt
        url
        members(first: 1) {
          totalCount
        }
      }
    }
  }
`)

export const CREATE_ORGANIZATION = graphql(`
  mutation CreateOrganization($name: String!, $displayName: String) {
    createOrganization(name: $name, displayName: $displayName) {
      id
      name
    }
  }
`)
