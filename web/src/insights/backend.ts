// GraphQL operations of the code insights pages (dashboards, cards, the standalone
// insight with its drill-down, the create and edit forms).
import { graphql } from '../graphql'

export const DASHBOARDS = graphql(`
  query InsightsDashboards {
    insightsDashboards(first: 100) {
      nodes {
        id
        title
        viewerCanEdit
        grants {
          users
          organizations
          global
        }
      }
    }
    currentUser {
      id
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

export const DASHBOARD_VIEWS = graphql(`
  query InsightsDashboardViews($id: ID!) {
    insightsDashboards(first: 1, id: $id) {
      nodes {
        id
        title
        viewerCanEdit
        views(first: 100) {
          nodes {
            ...InsightViewFields
          }
        }
      }
    }
  }
`)

/** Views for the "all insights" page and the add-insights picker (titles only). */
export const VIEW_TITLES = graphql(`
  query InsightViewTitles($first: Int!, $after: String, $find: String) {
    insightViews(first: $first, after: $after, find: $find) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        presentation {
          __typename
          ... on LineChartInsightViewPresentation {
            title
          }
          ... on PieChartInsightViewPresentation {
            title
          }
        }
      }
    }
  }
`)

/** What defines a view (no data): what the edit form and "save default filters" send back. */
export const INSIGHT_VIEW_DEFINITION_FIELDS = graphql(`
  fragment InsightViewDefinitionFields on InsightView {
    id
    isFrozen
    viewerCanEdit
    defaultFilters {
      includeRepoRegex
      excludeRepoRegex
      searchContexts
    }
    defaultSeriesDisplayOptions {
      sortOptions {
        mode
        direction
      }
      limit
      numSamples
    }
    presentation {
      __typename
      ... on LineChartInsightViewPresentation {
        title
        seriesPresentation {
          seriesId
          label
          color
        }
      }
      ... on PieChartInsightViewPresentation {
        title
        otherThreshold
      }
    }
    dataSeriesDefinitions {
      __typename
      ... on SearchInsightDataSeriesDefinition {
        seriesId
        query
        generatedFromCaptureGroups
        groupBy
        isCalculated
      }
    }
    repositoryDefinition {
      __typename
      ... on InsightRepositoryScope {
        repositories
      }
      ... on RepositorySearchScope {
        search
        allRepositories
      }
    }
    timeScope {
      __typename
      ... on InsightIntervalTimeScope {
        unit
        value
      }
    }
  }
`)

export const INSIGHT_VIEW_FIELDS = graphql(`
  fragment InsightViewFields on InsightView {
    ...InsightViewDefinitionFields
    seriesCount
    appliedFilters {
      includeRepoRegex
      excludeRepoRegex
      searchContexts
    }
    appliedSeriesDisplayOptions {
      sortOptions {
        mode
        direction
      }
      limit
      numSamples
    }
    dataSeries {
      seriesId
      label
      times
      values
      status {
        isLoadingData
        percentComplete
        backfillState
        queuePosition
        pendingJobs
        failedJobs
        incompleteDatapoints {
          __typename
          time
          ... on GenericIncompleteDatapointAlert {
            reason
          }
        }
      }
    }
  }
`)

export const INSIGHT_VIEW = graphql(`
  query InsightView($id: ID!, $filters: InsightViewFiltersInput, $seriesDisplayOptions: SeriesDisplayOptionsInput) {
    insightViews(id: $id, filters: $filters, seriesDisplayOptions: $seriesDisplayOptions) {
      nodes {
        ...InsightViewFields
      }
    }
  }
`)

/** One point's repositories and searches (the drill-down), read for that time only. */
export const POINT_BREAKDOWN = graphql(`
  query InsightPointBreakdown($id: ID!, $filters: InsightViewFiltersInput, $seriesDisplayOptions: SeriesDisplayOptionsInput, $at: DateTime!) {
    insightViews(id: $id, filters: $filters, seriesDisplayOptions: $seriesDisplayOptions) {
      nodes {
        id
        dataSeries {
          seriesId
          label
          points(from: $at, to: $at) {
            dateTime
            value
            pointInTimeQuery
            diffQuery
            repositoryBreakdown(first: 50) {
              name
              value
              commit
              pointInTimeQuery
            }
          }
        }
      }
    }
  }
`)

export const CREATE_DASHBOARD = graphql(`
  mutation CreateInsightsDashboard($input: CreateInsightsDashboardInput!) {
    createInsightsDashboard(input: $input) {
      dashboard {
        id
        title
      }
    }
  }
`)

export const UPDATE_DASHBOARD = graphql(`
  mutation UpdateInsightsDashboard($id: ID!, $input: UpdateInsightsDashboardInput!) {
    updateInsightsDashboard(id: $id, input: $input) {
      dashboard {
        id
        title
        grants {
          users
          organizations
          global
        }
      }
    }
  }
`)

export const DELETE_DASHBOARD = graphql(`
  mutation DeleteInsightsDashboard($id: ID!) {
    deleteInsightsDashboard(id: $id) {
      alwaysNil
    }
  }
`)

export const ADD_VIEW_TO_DASHBOARD = graphql(`
  mutation AddInsightViewToDashboard($input: AddInsightViewToDashboardInput!) {
    addInsightViewToDashboard(input: $input) {
      dashboard {
        id
      }
    }
  }
`)

export const REMOVE_VIEW_FROM_DASHBOARD = graphql(`
  mutation RemoveInsightViewFromDashboard($input: RemoveInsightViewFromDashboardInput!) {
    removeInsightViewFromDashboard(input: $input) {
      dashboard {
        id
      }
    }
  }
`)

export const DELETE_VIEW = graphql(`
  mutation DeleteInsightView($id: ID!) {
    deleteInsightView(id: $id) {
      alwaysNil
    }
  }
`)

export const CREATE_LINE_CHART = graphql(`
  mutation CreateLineChartSearchInsight($input: LineChartSearchInsightInput!) {
    createLineChartSearchInsight(input: $input) {
      view {
        id
      }
    }
  }
`)

export const UPDATE_LINE_CHART = graphql(`
  mutation UpdateLineChartSearchInsight($id: ID!, $input: UpdateLineChartSearchInsightInput!) {
    updateLineChartSearchInsight(id: $id, input: $input) {
      view {
        id
      }
    }
  }
`)

export const CREATE_PIE_CHART = graphql(`
  mutation CreatePieChartSearchInsight($input: PieChartSearchInsightInput!) {
    createPieChartSearchInsight(input: $input) {
      view {
        id
      }
    }
  }
`)

export const UPDATE_PIE_CHART = graphql(`
  mutation UpdatePieChartSearchInsight($id: ID!, $input: UpdatePieChartSearchInsightInput!) {
    updatePieChartSearchInsight(id: $id, input: $input) {
      view {
        id
      }
    }
  }
`)

export const SAVE_AS_NEW_VIEW = graphql(`
  mutation SaveInsightAsNewView($input: SaveInsightAsNewViewInput!) {
    saveInsightAsNewView(input: $input) {
      view {
        id
      }
    }
  }
`)

/** The edit form's starting point: the view's definition (no points). */
export const VIEW_DEFINITION = graphql(`
  query InsightViewDefinition($id: ID!) {
    insightViews(id: $id) {
      nodes {
        ...InsightViewDefinitionFields
      }
    }
  }
`)

export const SEARCH_INSIGHT_PREVIEW = graphql(`
  query SearchInsightPreview($input: SearchInsightPreviewInput!) {
    searchInsightPreview(input: $input) {
      label
      points {
        dateTime
        value
      }
    }
  }
`)

/** A language pie's preview: the languages of the scope's repositories at their default branch. */
export const LANGUAGES_PREVIEW = graphql(`
  query InsightLanguagesPreview($query: String!) {
    search(query: $query) {
      stats {
        languages {
          name
          totalLines
        }
      }
    }
  }
`)

/** Checks a series query as it is typed: the search parses it first (InvalidQuery errors name the position). */
export const VALIDATE_SERIES_QUERY = graphql(`
  query ValidateInsightSeriesQuery($query: String!) {
    search(query: $query) {
      results {
        matchCount
      }
    }
  }
`)

export const VALIDATE_SCOPE = graphql(`
  query ValidateInsightScope($query: String!) {
    validateScopedInsightQuery(query: $query) {
      isValid
      invalidReason
    }
    previewRepositoriesFromQuery(query: $query) {
      numberOfRepositories
    }
  }
`)


export const SEARCH_CONTEXTS = graphql(`
  query InsightSearchContexts($query: String) {
    searchContexts(first: 20, query: $query) {
      nodes {
        id
        spec
      }
    }
  }
`)
