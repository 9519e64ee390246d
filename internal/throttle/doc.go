// Package throttle bounds what one process lets requests consume at once, so that one
// client cannot starve the others. It holds two in-memory limiters:
//
//   - Gate: at most N expensive operations (searches, insight previews, campaign
//     repository queries) per user at once. The GraphQL resolvers acquire a slot
//     around the work itself (resolvers.Resolver.expensive); an operation that finds
//     the user's slots taken waits a little (Gate.Wait) and then fails with
//     RATE_LIMITED, so a user's burst queues behind their own work, never behind
//     another user's.
//   - Budget: at most N bytes of request bodies in flight across all requests of a
//     kind. The webhook handler reserves a delivery's bytes before reading them and
//     refuses with 503 and Retry-After when the budget is spent, so a burst of large
//     unsigned deliveries cannot grow the heap past the budget.
//
// Both are per process on purpose: they protect this process's CPU and memory, which
// is what a burst exhausts. With several frontends a user may run N operations on
// each; limits that must hold across processes (login failures) live in Postgres
// instead (auth.LoginThrottle).
package throttle
