// Package issuemonitors is the domain of issue monitors: a monitor whose query results
// are tracked as issues until they are solved, rolled into one alert per monitor with a
// P1..P5 priority from a rule, with every state change recorded as an event that the
// monitor's actions may be sent.
//
// It holds what does not depend on where it runs: the configuration and its validation
// (cron schedules, rule thresholds), how a search result becomes an issue identity
// (Candidates), the alert rules (Rule.Priority, with the clock passed in), and the run
// algorithm (Engine), which turns a loaded state and what the searches observed into the
// rows to write. The worker (internal/background/issuemonitors) runs the searches and
// applies the result; the API (internal/resolvers) applies the manual actions
// (acknowledge, lock, solve, drop) through the same Engine, so both record events and
// route them to actions the same way.
//
// A missing answer is never a solved issue: an issue is solved only when a complete
// search of its repository no longer finds it. A search that timed out, a repository not
// cloned yet or no longer visible to the owner leave the issue as it was.
package issuemonitors
