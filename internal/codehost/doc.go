// Package codehost talks to the code hosts Lookout mirrors repositories from and opens
// pull requests on: GitHub, GitLab, Gitea, Bitbucket Server, and plain git remotes (GIT).
//
// It has four parts, all free of database access (callers persist what they get):
//
//   - connection configs: [ParseConfig] validates the JSON of a code host connection
//     strictly (credentials in URLs are refused), [Config.Redacted] hides its secrets for
//     the API and [MergeRedacted] keeps stored secrets when an update sends the redacted
//     form back, the token only while the update sends it to no new origin;
//     [MoveURLCredentials] upgrades configs stored before URLs were checked;
//   - repository sources: [NewSource] lists a connection's repositories (complete
//     pagination, typed [RateLimitError]) and, best-effort, who may read a private one;
//   - changeset sources: [NewChangesetSource] opens, updates, closes, reopens and loads
//     pull requests (merge requests on GitLab), adopting one that already exists for a
//     branch so retries never duplicate;
//   - webhooks: [VerifyWebhook] checks a delivery's secret in constant time and
//     [ParseWebhook] turns it into a typed [Event].
//
// The client libraries are go-github (GitHub), client-go (GitLab) and the Gitea SDK;
// Bitbucket Server has no well-kept Go client and is spoken to over its REST API. The
// fakehost subpackage has in-process fakes of each host for tests.
package codehost
