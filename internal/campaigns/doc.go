// Package campaigns is the domain of campaigns: one change applied across many
// repositories.
//
// A plan holds one diff per repository. It is made from uploaded patches (the worker
// checks each applies to its base revision) or from a spec (spec.go): the repositories its
// `on:` selects, the `steps` run in each one's checkout by internal/executor in the worker,
// and a changeset template. A campaign created from a finished plan gets one changeset per
// repository with a diff.
//
// Changesets are reconciled, not scripted: a changeset row records what its campaign
// wants (Desired: published or draft, closing, the diff to push, title, body, base) and
// what was last made of it (Current); PlanOperations compares the two and returns the
// operations to run (push, publish, update, undraft, close, sync, import). The worker's
// reconciler (internal/background/campaigns) runs them, and every step is idempotent: the
// branch name is chosen once and stored, the commit is deterministic (fixed dates), and a
// pull request that already exists for the branch is adopted, so a worker killed anywhere
// is simply run again.
//
// Tracking: Transition turns state changes seen by syncs and webhooks into changeset
// events, CountsOverTime replays them into counts per day, NextSync backs syncs off from
// 2 minutes to 8 hours since the last change, and HandleWebhook applies deliveries at once.
// Rates limit how often pull requests are opened per code host; Hosts picks the
// credential (the user's, the site's, else the connection's token).
package campaigns
