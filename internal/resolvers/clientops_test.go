package resolvers_test

import (
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
)

// sourcegraphClientOps are operations in the shapes Sourcegraph's web client sends for
// code monitoring and code insights (written here, not copied: the same fields, arguments
// and variable types). They must validate against Lookout's schema, so a rename that
// would break that client fails this test.
var sourcegraphClientOps = map[string]string{
	// Code monitoring.
	"list a user's monitors": `query ListUserCodeMonitors($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    __typename
    ... on User {
      monitors(first: $first, after: $after) {
        nodes { ...MonitorFields }
        totalCount
        pageInfo { endCursor hasNextPage }
      }
    }
  }
}
fragment MonitorFields on Monitor {
  id description enabled createdAt
  owner { id namespaceName url }
  trigger { ... on MonitorQuery { __typename id query } }
  actions {
    nodes {
      __typename
      ... on MonitorEmail { id enabled includeResults priority header recipients { nodes { id url } } }
      ... on MonitorWebhook { id enabled includeResults url }
      ... on MonitorSlackWebhook { id enabled includeResults url }
    }
  }
}`,
	"fetch one monitor": `query GetMonitor($id: ID!) {
  node(id: $id) {
    ... on Monitor {
      id description enabled
      owner { id namespaceName }
      actions { nodes { __typename ... on MonitorEmail { id recipients { nodes { id url } } } } }
    }
  }
}`,
	"create a monitor": `mutation CreateMonitor($monitor: MonitorInput!, $trigger: MonitorTriggerInput!, $actions: [MonitorActionInput!]!) {
  createCodeMonitor(monitor: $monitor, trigger: $trigger, actions: $actions) { id description enabled }
}`,
	"update a monitor": `mutation UpdateMonitor($monitor: MonitorEditInput!, $trigger: MonitorEditTriggerInput!, $actions: [MonitorEditActionInput!]!) {
  updateCodeMonitor(monitor: $monitor, trigger: $trigger, actions: $actions) { id description enabled trigger { ... on MonitorQuery { query } } }
}`,
	"toggle a monitor":         `mutation Toggle($id: ID!, $enabled: Boolean!) { toggleCodeMonitor(id: $id, enabled: $enabled) { id enabled } }`,
	"delete a monitor":         `mutation Delete($id: ID!) { deleteCodeMonitor(id: $id) { alwaysNil } }`,
	"reset trigger timestamps": `mutation Reset($id: ID!) { resetTriggerQueryTimestamps(id: $id) { alwaysNil } }`,
	"test email": `mutation TestEmail($namespace: ID!, $description: String!, $email: MonitorEmailInput!) {
  triggerTestEmailAction(namespace: $namespace, description: $description, email: $email) { alwaysNil }
}`,
	"test webhook": `mutation TestWebhook($namespace: ID!, $description: String!, $webhook: MonitorWebhookInput!) {
  triggerTestWebhookAction(namespace: $namespace, description: $description, webhook: $webhook) { alwaysNil }
}`,
	"test slack": `mutation TestSlack($namespace: ID!, $description: String!, $slackWebhook: MonitorSlackWebhookInput!) {
  triggerTestSlackWebhookAction(namespace: $namespace, description: $description, slackWebhook: $slackWebhook) { alwaysNil }
}`,
	"monitor logs": `query MonitorLogs($first: Int, $after: String, $triggerEventsFirst: Int, $triggerEventsAfter: String) {
  currentUser {
    monitors(first: $first, after: $after) {
      nodes {
        id description
        trigger {
          ... on MonitorQuery {
            query
            events(first: $triggerEventsFirst, after: $triggerEventsAfter) {
              nodes {
                id status message timestamp query resultCount
                actions {
                  nodes {
                    __typename
                    ... on MonitorEmail { id events { nodes { id status message timestamp } } }
                    ... on MonitorWebhook { id events { nodes { id status message timestamp } } }
                    ... on MonitorSlackWebhook { id events { nodes { id status message timestamp } } }
                  }
                }
              }
              totalCount
              pageInfo { hasNextPage endCursor }
            }
          }
        }
      }
      totalCount
      pageInfo { hasNextPage endCursor }
    }
  }
}`,
	"monitor parts are nodes": `query Parts($id: ID!) {
  node(id: $id) {
    id
    ... on MonitorQuery { query }
    ... on MonitorTriggerEvent { status resultCount }
    ... on MonitorEmail { header }
    ... on MonitorWebhook { url }
    ... on MonitorSlackWebhook { url }
    ... on MonitorActionEvent { status timestamp }
  }
}`,
	"all monitors for site admins": `query AllMonitors($first: Int!, $after: String) {
  monitors(first: $first, after: $after) { nodes { id description owner { namespaceName } } totalCount }
}`,

	// Code insights.
	"is code insights licensed": `query IsCodeInsightsLicensed { enterpriseLicenseHasFeature(feature: "code-insights") }`,
	"are batch changes licensed": `query AreBatchChangesLicensed {
  campaigns: enterpriseLicenseHasFeature(feature: "campaigns")
  batchChanges: enterpriseLicenseHasFeature(feature: "batch-changes")
}`,
	"dashboard owners": `query InsightsDashboardOwners {
  currentUser { id displayName username siteAdmin organizations { nodes { id displayName name } } }
  site { id }
}`,
	"repository by a nullable name": `query RepositoryByName($name: String) { repository(name: $name) { id name } }`,
	"getting started example": `query GettingStartedSearch($query: String!) {
  search(query: $query) { results { repositories { name } } }
}`,
	"dashboards": `query InsightsDashboards($id: ID) {
  currentUser { id organizations { nodes { id displayName } } }
  insightsDashboards(id: $id) {
    nodes { id title views { nodes { id } } grants { users organizations global } }
  }
}`,
	"insight views of a dashboard": `query GetDashboardInsights($id: ID) {
  insightsDashboards(id: $id) { nodes { id views { nodes { id } } } }
}`,
	"all insight configurations": `query GetAllInsightConfigurations($first: Int, $after: String) {
  insightViews(first: $first, after: $after) {
    nodes {
      id
      isFrozen
      dashboardReferenceCount
      defaultFilters { includeRepoRegex excludeRepoRegex searchContexts }
      defaultSeriesDisplayOptions { limit numSamples sortOptions { mode direction } }
      repositoryDefinition { __typename ... on RepositorySearchScope { search } ... on InsightRepositoryScope { repositories } }
      dashboards { nodes { id title } }
      presentation {
        __typename
        ... on LineChartInsightViewPresentation { title seriesPresentation { seriesId label color } }
        ... on PieChartInsightViewPresentation { title otherThreshold }
      }
      dataSeriesDefinitions {
        ... on SearchInsightDataSeriesDefinition {
          seriesId query isCalculated generatedFromCaptureGroups groupBy
          repositoryScope { repositories }
          timeScope { ... on InsightIntervalTimeScope { unit value } }
        }
      }
    }
    pageInfo { endCursor hasNextPage }
    totalCount
  }
}`,
	"insight data": `query GetInsightView($id: ID, $filters: InsightViewFiltersInput, $seriesDisplayOptions: SeriesDisplayOptionsInput) {
  insightViews(id: $id, filters: $filters, seriesDisplayOptions: $seriesDisplayOptions) {
    nodes {
      id
      dataSeries {
        seriesId label
        points { dateTime value diffQuery pointInTimeQuery }
        status { isLoadingData incompleteDatapoints { __typename time ... on GenericIncompleteDatapointAlert { reason } } }
      }
    }
  }
}`,
	"create a line chart": `mutation CreateSearchBasedInsight($input: LineChartSearchInsightInput!) {
  createLineChartSearchInsight(input: $input) { view { id } }
}`,
	"create a pie chart": `mutation CreateLangStatsInsight($input: PieChartSearchInsightInput!) {
  createPieChartSearchInsight(input: $input) { view { id } }
}`,
	"create a dashboard": `mutation CreateDashboard($input: CreateInsightsDashboardInput!) {
  createInsightsDashboard(input: $input) { dashboard { id title grants { users organizations global } } }
}`,
	"add an insight to a dashboard": `mutation AddInsightViewToDashboard($insightViewId: ID!, $dashboardId: ID!) {
  addInsightViewToDashboard(input: { insightViewId: $insightViewId, dashboardId: $dashboardId }) { dashboard { id } }
}`,
	"save as a new view":     `mutation SaveAsNewView($input: SaveInsightAsNewViewInput!) { saveInsightAsNewView(input: $input) { view { id } } }`,
	"validate a scope query": `query ValidateScope($query: String!) { validateScopedInsightQuery(query: $query) { query isValid invalidReason } }`,
	"preview repositories":   `query PreviewRepos($query: String!) { previewRepositoriesFromQuery(query: $query) { query numberOfRepositories } }`,
	"live preview": `query LivePreview($input: SearchInsightPreviewInput!) {
  searchInsightPreview(input: $input) { label points { dateTime value } }
}`,
	"language statistics": `query LangStats($query: String!) { search(query: $query) { results { limitHit } stats { languages { name totalLines } } } }`,
}

func TestSourcegraphClientOperationsValidate(t *testing.T) {
	schema, err := resolvers.NewSchema(resolvers.New(resolvers.Deps{Store: store.New(nil), Insights: &resolvers.InsightsDeps{}}), resolvers.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	// The documents are checked without variable values: a required variable given none
	// is not a fault of the document.
	check := func(name, op string) {
		for _, err := range schema.Validate(op) {
			if err.Rule == "VariablesOfCorrectType" && strings.HasSuffix(err.Message, "found null.") {
				continue
			}
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, op := range sourcegraphClientOps {
		check(name, op)
	}
	for name, op := range srcCLIOperations {
		check("src "+name, op)
	}
	// The check is not vacuous: a misspelt field fails it.
	if errs := schema.Validate(`{ site { buildVersions } }`); len(errs) == 0 {
		t.Error("a field that does not exist validates")
	}
}
