// GraphQL operations of the issue monitor pages.
import { graphql } from '../graphql'

export const ISSUE_MONITORS = graphql(`
  query IssueMonitors($first: Int!, $after: String) {
    currentUser {
      id
      monitors(first: $first, after: $after, kind: ISSUE) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          description
          enabled
          issueTracking {
            query
            nextSearchAt
          }
          issues(state: ACTIVE, first: 1) {
            totalCount
          }
          alerts(state: ACTIVE, first: 1) {
            nodes {
              id
              priority
              acknowledged
            }
          }
        }
      }
    }
  }
`)

export const ISSUE_TRACKING_FIELDS = graphql(`
  fragment IssueTrackingFields on IssueTracking {
    query
    identity
    searchSchedule
    updateSchedule
    maxIssuesPerRun
    executionTimeout
    solvable
    unique
    dismissAcknowledgeOnNewIssues
    nextSearchAt
    nextUpdateAt
    rule {
      kind
      valueField
      operation
      levels {
        informational
        low
        moderate
        high
        critical
      }
    }
  }
`)

export const ISSUE_MONITOR = graphql(`
  query IssueMonitor($id: ID!, $state: IssueState, $first: Int!, $after: String) {
    node(id: $id) {
      __typename
      ... on Monitor {
        id
        description
        enabled
        owner {
          id
          namespaceName
        }
        issueTracking {
          ...IssueTrackingFields
          runs(first: 10) {
            nodes {
              id
              status
              search
              update
              outcome
              message
              queuedAt
              finishedAt
              resultCount
              issuesCreated
              issuesSolved
            }
          }
          events(first: 30) {
            totalCount
            nodes {
              id
              name
              source
              sourceID
              createdAt
              actor {
                id
                username
              }
            }
          }
        }
        alerts(state: ACTIVE, first: 5) {
          nodes {
            id
            priority
            state
            createdAt
            acknowledged
            acknowledgedPriority
            locked
            issues(state: ACTIVE, first: 1) {
              totalCount
            }
          }
        }
        issues(state: $state, first: $first, after: $after) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            id
            key
            state
            createdAt
            updatedAt
            solvedAt
            path
            commit
            repository {
              id
              name
              url
            }
          }
        }
        actions(first: 10) {
          nodes {
            ...MonitorActionFields
          }
        }
      }
    }
  }
`)

export const CREATE_ISSUE_MONITOR = graphql(`
  mutation CreateIssueMonitor($monitor: MonitorInput!, $issueTracking: IssueTrackingInput!, $actions: [IssueMonitorActionInput!]!) {
    createIssueMonitor(monitor: $monitor, issueTracking: $issueTracking, actions: $actions) {
      id
      actions(first: 10) {
        nodes {
          ... on MonitorWebhook {
            url
            secret
          }
        }
      }
    }
  }
`)

export const UPDATE_ISSUE_MONITOR = graphql(`
  mutation UpdateIssueMonitor($id: ID!, $monitor: MonitorInput!, $issueTracking: IssueTrackingInput!, $actions: [IssueMonitorEditActionInput!]!) {
    updateIssueMonitor(id: $id, monitor: $monitor, issueTracking: $issueTracking, actions: $actions) {
      id
      description
      enabled
      issueTracking {
        ...IssueTrackingFields
      }
      actions(first: 10) {
        nodes {
          ... on MonitorWebhook {
            url
            secret
          }
        }
      }
    }
  }
`)

export const DELETE_ISSUE_MONITOR = graphql(`
  mutation DeleteIssueMonitor($id: ID!) {
    deleteIssueMonitor(id: $id) {
      alwaysNil
    }
  }
`)

export const RUN_ISSUE_MONITOR = graphql(`
  mutation RunIssueMonitor($id: ID!) {
    runIssueMonitor(id: $id) {
      id
      status
    }
  }
`)


export const ACKNOWLEDGE_ALERT = graphql(`
  mutation AcknowledgeAlert($id: ID!) {
    acknowledgeAlert(id: $id) {
      id
      acknowledged
      acknowledgedPriority
    }
  }
`)

export const LOCK_ALERT = graphql(`
  mutation LockAlert($id: ID!) {
    lockAlert(id: $id) {
      id
      locked
    }
  }
`)

export const UNLOCK_ALERT = graphql(`
  mutation UnlockAlert($id: ID!) {
    unlockAlert(id: $id) {
      id
      locked
    }
  }
`)

export const SOLVE_ISSUE = graphql(`
  mutation SolveIssue($id: ID!) {
    solveIssue(id: $id) {
      id
      state
      solvedAt
    }
  }
`)
