// GraphQL operations of the campaign pages (list, new campaign from a patch or a spec,
// plan preview, campaign with changesets and burndown).
import { graphql } from '../graphql'

export const CHANGESETS_STATS_FIELDS = graphql(`
  fragment ChangesetsStatsFields on ChangesetsStats {
    total
    unpublished
    open
    draft
    merged
    closed
    deleted
    pushed
    scheduled
    processing
    retrying
    failed
  }
`)

export const CAMPAIGNS = graphql(`
  query Campaigns($first: Int!, $after: String, $state: CampaignState) {
    campaigns(first: $first, after: $after, state: $state) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        description
        state
        createdAt
        closedAt
        publishedAt
        namespace {
          id
          namespaceName
          url
        }
        changesetsStats {
          ...ChangesetsStatsFields
        }
      }
    }
  }
`)

export const FILE_DIFF_FIELDS = graphql(`
  fragment FileDiffFields on CommitDiff {
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
        state
        url
        createdAt
        updatedAt
        closedAt
        publishedAt
        viewerCanAdminister
        namespace {
          id
          namespaceName
          url
        }
        author {
          id
          username
        }
        plan {
          id
          spec
        }
        status {
          state
          completedCount
          pendingCount
          errors
        }
        changesetsStats {
          ...ChangesetsStatsFields
        }
        changesetPlans(first: 100) {
          totalCount
          nodes {
            id
            baseRef
            publicationEnqueued
            repository {
              id
              name
              url
            }
            diffStat {
              added
              deleted
            }
          }
        }
      }
    }
  }
`)

export const CAMPAIGN_CHANGESETS = graphql(`
  query CampaignChangesets($id: ID!, $first: Int!, $after: String, $state: ChangesetState, $reviewState: ChangesetReviewState, $checkState: ChangesetCheckState) {
    node(id: $id) {
      __typename
      ... on Campaign {
        id
        changesets(first: $first, after: $after, state: $state, reviewState: $reviewState, checkState: $checkState) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            id
            title
            state
            reviewState
            checkState
            reconcilerState
            publicationState
            scheduleEstimateAt
            error
            syncError
            externalURL
            externalID
            head
            headSHA
            lastSyncedAt
            diffStat {
              added
              deleted
            }
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

export const CHANGESET_DIFF = graphql(`
  query ChangesetDiff($id: ID!) {
    node(id: $id) {
      __typename
      ... on ExternalChangeset {
        id
        fileDiffs {
          ...FileDiffFields
        }
      }
    }
  }
`)

export const BURNDOWN = graphql(`
  query CampaignBurndown($id: ID!) {
    node(id: $id) {
      __typename
      ... on Campaign {
        id
        changesetCountsOverTime {
          date
          total
          merged
          closed
          open
          draft
          pushed
        }
      }
    }
  }
`)

export const PLAN = graphql(`
  query CampaignPlan($id: ID!) {
    node(id: $id) {
      __typename
      ... on CampaignPlan {
        id
        spec
        createdAt
        canceledAt
        campaign {
          id
          name
        }
        status {
          state
          completedCount
          pendingCount
          errors
        }
        jobs(first: 100) {
          totalCount
          nodes {
            id
            state
            error
            baseRef
            baseRevision
            startedAt
            finishedAt
            repository {
              id
              name
              url
            }
            diffStat {
              added
              deleted
            }
            fileDiffs {
              ...FileDiffFields
            }
            log {
              key
              command
              startTime
              exitCode
              out
              durationMilliseconds
            }
          }
        }
      }
    }
  }
`)

/** A repository and its default branch's head: what a patch applies to. */
export const REPOSITORY_BASE = graphql(`
  query CampaignRepositoryBase($name: String!) {
    repository(name: $name) {
      id
      name
      defaultBranch {
        name
        target {
          oid
        }
      }
    }
  }
`)


export const NAMESPACES = graphql(`
  query CampaignNamespaces {
    currentUser {
      id
      username
      organizations {
        nodes {
          id
          name
          displayName
        }
      }
    }
  }
`)

export const CREATE_PLAN_FROM_PATCHES = graphql(`
  mutation CreateCampaignPlanFromPatches($patches: [CampaignPlanPatch!]!) {
    createCampaignPlanFromPatches(patches: $patches) {
      id
    }
  }
`)

export const CREATE_PLAN_FROM_SPEC = graphql(`
  mutation CreateCampaignPlanFromSpec($spec: String!) {
    createCampaignPlanFromSpec(spec: $spec) {
      id
    }
  }
`)

export const CANCEL_PLAN = graphql(`
  mutation CancelCampaignPlan($plan: ID!) {
    cancelCampaignPlan(plan: $plan) {
      alwaysNil
    }
  }
`)

export const CREATE_CAMPAIGN = graphql(`
  mutation CreateCampaign($input: CreateCampaignInput!) {
    createCampaign(input: $input) {
      id
    }
  }
`)

export const PUBLISH_CAMPAIGN = graphql(`
  mutation PublishCampaign($campaign: ID!) {
    publishCampaign(campaign: $campaign) {
      id
      state
      publishedAt
    }
  }
`)

export const CLOSE_CAMPAIGN = graphql(`
  mutation CloseCampaign($campaign: ID!, $closeChangesets: Boolean) {
    closeCampaign(campaign: $campaign, closeChangesets: $closeChangesets) {
      id
      state
      closedAt
    }
  }
`)

export const RETRY_CAMPAIGN_CHANGESETS = graphql(`
  mutation RetryCampaignChangesets($campaign: ID!) {
    retryCampaignChangesets(campaign: $campaign) {
      id
    }
  }
`)

export const RETRY_CHANGESET = graphql(`
  mutation RetryChangeset($changeset: ID!) {
    retryChangeset(changeset: $changeset) {
      id
      reconcilerState
      error
    }
  }
`)

export const SYNC_CHANGESET = graphql(`
  mutation SyncChangeset($changeset: ID!) {
    syncChangeset(changeset: $changeset) {
      alwaysNil
    }
  }
`)

export const PUBLISH_CHANGESET = graphql(`
  mutation PublishChangeset($changesetPlan: ID!) {
    publishChangeset(changesetPlan: $changesetPlan) {
      alwaysNil
    }
  }
`)
