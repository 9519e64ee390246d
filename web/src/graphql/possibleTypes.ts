
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "IncompleteDatapointAlert": [
      "GenericIncompleteDatapointAlert",
      "TimeoutDatapointAlert"
    ],
    "InsightDataSeriesDefinition": [
      "SearchInsightDataSeriesDefinition"
    ],
    "InsightPresentation": [
      "LineChartInsightViewPresentation",
      "PieChartInsightViewPresentation"
    ],
    "InsightRepositoryDefinition": [
      "InsightRepositoryScope",
      "RepositorySearchScope"
    ],
    "InsightTimeScope": [
      "InsightIntervalTimeScope"
    ],
    "MonitorAction": [
      "MonitorEmail",
      "MonitorSlackWebhook",
      "MonitorWebhook"
    ],
    "MonitorTrigger": [
      "MonitorQuery"
    ],
    "Namespace": [
      "Org",
      "User"
    ],
    "Node": [
      "AccessToken",
      "Alert",
      "Campaign",
      "CampaignJob",
      "CampaignPlan",
      "CampaignsCredential",
      "ChangesetEvent",
      "ChangesetPlan",
      "ExternalChangeset",
      "ExternalService",
      "InsightView",
      "InsightsDashboard",
      "Issue",
      "Monitor",
      "Org",
      "OrganizationInvitation",
      "Repository",
      "SearchContext",
      "User"
    ],
    "SearchResult": [
      "CommitSearchResult",
      "FileMatch",
      "Repository"
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "IncompleteDatapointAlert": [
      "GenericIncompleteDatapointAlert",
      "TimeoutDatapointAlert"
    ],
    "InsightDataSeriesDefinition": [
      "SearchInsightDataSeriesDefinition"
    ],
    "InsightPresentation": [
      "LineChartInsightViewPresentation",
      "PieChartInsightViewPresentation"
    ],
    "InsightRepositoryDefinition": [
      "InsightRepositoryScope",
      "RepositorySearchScope"
    ],
    "InsightTimeScope": [
      "InsightIntervalTimeScope"
    ],
    "MonitorAction": [
      "MonitorEmail",
      "MonitorSlackWebhook",
      "MonitorWebhook"
    ],
    "MonitorTrigger": [
      "MonitorQuery"
    ],
    "Namespace": [
      "Org",
      "User"
    ],
    "Node": [
      "AccessToken",
      "Alert",
      "Campaign",
      "CampaignJob",
      "CampaignPlan",
      "CampaignsCredential",
      "ChangesetEvent",
      "ChangesetPlan",
      "ExternalChangeset",
      "ExternalService",
      "InsightView",
      "InsightsDashboard",
      "Issue",
      "Monitor",
      "Org",
      "OrganizationInvitation",
      "Repository",
      "SearchContext",
      "User"
    ],
    "SearchResult": [
      "CommitSearchResult",
      "FileMatch",
      "Repository"
    ]
  }
};
      export default result;
    