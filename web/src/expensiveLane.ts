// One lane for the app's expensive operations. The server runs at most one expensive
// operation per user at a time (SEARCH_CONCURRENCY_PER_USER, default 1); a second one
// waits up to 10 s for the slot and then fails with RATE_LIMITED. So the app never has
// two of them in flight: this link holds each expensive operation until the one before
// it has finished, and one that nobody waits for any more (a page left, a preview whose
// query changed, which Apollo unsubscribes and so aborts) is dropped from the queue
// without ever being sent. Everything else passes straight through.
import { ApolloLink, type Operation } from '@apollo/client'
import { getMainDefinition } from '@apollo/client/utilities'
import { Kind } from 'graphql'
import { Observable, type Subscription } from 'rxjs'

/**
 * The root fields the server counts as expensive: the ones that take the per-user slot
 * (the search and preview resolvers; internal/httpapi/cost.go weighs the same fields).
 */
export const expensiveFields = new Set([
  'search',
  'searchInsightPreview',
  'searchInsightLivePreview',
  'previewRepositoriesFromQuery',
  'createCampaignPlanFromSpec',
])

/** Whether an operation selects an expensive root field. */
export function isExpensive(operation: Pick<Operation, 'query'>): boolean {
  const def = getMainDefinition(operation.query)
  return def.kind === Kind.OPERATION_DEFINITION && def.selectionSet.selections.some((s) => s.kind === Kind.FIELD && expensiveFields.has(s.name.value))
}

/** A link that lets one expensive operation through at a time, in order. */
export function expensiveLane(): ApolloLink {
  // The operations waiting for the lane, oldest first; running is the one in it.
  const waiting: (() => void)[] = []
  let running = false
  const next = () => {
    running = false
    const start = waiting.shift()
    if (start) start()
  }
  return new ApolloLink((operation, forward) => {
    if (!isExpensive(operation)) return forward(operation)
    return new Observable((observer) => {
      let sub: Subscription | null = null
      let done = false
      const finish = () => {
        if (done) return
        done = true
        next()
      }
      const start = () => {
        running = true
        sub = forward(operation).subscribe({
          next: (v) => observer.next(v),
          error: (e: unknown) => {
            finish()
            observer.error(e)
          },
          complete: () => {
            finish()
            observer.complete()
          },
        })
      }
      if (running) waiting.push(start)
      else start()
      return () => {
        if (sub) {
          // Unsubscribing aborts the request (HttpLink); the lane opens for the next.
          sub.unsubscribe()
          finish()
        } else {
          const i = waiting.indexOf(start)
          if (i >= 0) waiting.splice(i, 1)
        }
      }
    })
  })
}
