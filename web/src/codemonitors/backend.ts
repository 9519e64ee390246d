// GraphQL operations of the code monitoring pages (list, form, logs).
import { graphql } from '../graphql'

export const MONITOR_ACTION_FIELDS = graphql(`
  fragment MonitorActionFields on MonitorAction {
    __typename
    ... on MonitorEmail {
      id
      enabled
      includeResults
      priority
      header
      recipients(first: 10) {
        nodes {
          id
          namespaceName
        }
      }
    }
    ... on MonitorWebhook {
      id
      enabled
      includeResults
      url
    }
    ... on MonitorSlackWebhook {
      id
      enabled
      includeResults
      url
    }
  }
`)

export const CODE_MONITORS = graphql(`
  query CodeMonitors($first: Int!, $after: String) {
    currentUser {
      id
      monitors(first: $first, after: $after, kind: CODE) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          description
          enabled
          trigger {
            ... on MonitorQuery {
              id
              query
              events(first: 1) {
                nodes {
                  id
                  status
                  timestamp
                  message
                }
              }
            }
          }
          actions(first: 10) {
            nodes {
              __typename
              ... on MonitorEmail {
                id
              }
              ... on MonitorWebhook {
                id
              }
              ... on MonitorSlackWebhook {
                id
              }
            }
          }
        }
      }
    }
  }
`)

export const TOGGLE_CODE_MONITOR = graphql(`
  mutation ToggleCodeMonitor($id: ID!, $enabled: Boolean!) {
    toggleCodeMonitor(id: $id, enabled: $enabled) {
      id
      enabled
    }
  }
`)

export const CODE_MONITOR = graphql(`
  query CodeMonitor($id: ID!) {
    node(id: $id) {
      __typename
      ... on Monitor {
        id
        description
        enabled
        createdAt
        owner {
          id
          namespaceName
        }
        issueTracking {
          query
        }
        trigger {
          ... on MonitorQuery {
            id
            query
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

export const CREATE_CODE_MONITOR = graphql(`
  mutation CreateCodeMonitor($monitor: MonitorInput!, $trigger: MonitorTriggerInput!, $actions: [MonitorActionInput!]!) {
    createCodeMonitor(monitor: $monitor, trigger: $trigger, actions: $actions) {
      id
      actions(first: 10) {
        nodes {
          ...MonitorActionFields
          ... on MonitorWebhook {
            secret
          }
        }
      }
    }
  }
`)

export const UPDATE_CODE_MONITOR = graphql(`
  mutation UpdateCodeMonitor(
    $monitor: MonitorEditInput!
    $trigger: MonitorEditTriggerInput!
    $actions: [MonitorEditActionInput!]!
  ) {
    updateCodeMonitor(monitor: $monitor, trigger: $trigger, actions: $actions) {
      id
      description
      enabled
      trigger {
        ... on MonitorQuery {
          id
          query
        }
      }
      actions(first: 10) {
        nodes {
          ...MonitorActionFields
          ... on MonitorWebhook {
            secret
          }
        }
      }
    }
  }
`)

export const DELETE_CODE_MONITOR = graphql(`
  mutation DeleteCodeMonitor($id: ID!) {
    deleteCodeMonitor(id: $id) {
      alwaysNil
    }
  }
`)

export const TEST_EMAIL_ACTION = graphql(`
  mutation TestEmailAction($namespace: ID!, $description: String!, $email: MonitorEmailInput!) {
    triggerTestEmailAction(namespace: $namespace, description: $description, email: $email) {
      alwaysNil
    }
  }
`)

export const TEST_WEBHOOK_ACTION = graphql(`
  mutation TestWebhookAction($namespace: ID!, $description: String!, $webhook: MonitorWebhookInput!) {
    triggerTestWebhookAction(namespace: $namespace, description: $description, webhook: $webhook) {
      alwaysNil
    }
  }
`)

export const TEST_SLACK_ACTION = graphql(`
  mutation TestSlackAction($namespace: ID!, $description: String!, $slackWebhook: MonitorSlackWebhookInput!, $action: ID) {
    triggerTestSlackWebhookAction(namespace: $namespace, description: $description, slackWebhook: $slackWebhook, action: $action) {
      alwaysNil
    }
  }
`)

export const TRIGGER_PREVIEW = graphql(`
  query TriggerPreview($query: String!) {
    search(query: $query) {
      results {
        matchCount
        limitHit
        results {
          __typename
          ... on CommitSearchResult {
            url
            commit {
              id
              abbreviatedOID
              subject
              repository {
                id
                name
              }
            }
          }
        }
      }
    }
  }
`)

export const MONITOR_LOGS = graphql(`
  query CodeMonitorLogs($id: ID!, $first: Int!, $after: String) {
    node(id: $id) {
      __typename
      ... on Monitor {
        id
        description
        trigger {
          ... on MonitorQuery {
            id
            query
            events(first: $first, after: $after) {
              totalCount
              pageInfo {
                hasNextPage
                endCursor
              }
              nodes {
                id
                status
                message
                timestamp
                query
                resultCount
                actions(first: 10) {
                  nodes {
                    __typename
                    ... on MonitorEmail {
                      id
                      events(first: 10) {
                        nodes {
                          id
                          status
                          message
                          timestamp
                        }
                      }
                    }
                    ... on MonitorWebhook {
                      id
                      url
                      events(first: 10) {
                        nodes {
                          id
                          status
                          message
                          timestamp
                        }
                      }
                    }
                    ... on MonitorSlackWebhook {
                      id
                      url
                      events(first: 10) {
                        nodes {
                          id
                          status
                          message
                          timestamp
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`)
