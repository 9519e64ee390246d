import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client'
import { Observable } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { expensiveLane, isExpensive } from './expensiveLane'

const SEARCH = gql`
  query Preview($q: String!) {
    search(query: $q) {
      results {
        matchCount
      }
    }
  }
`
const CHEAP = gql`
  query Me {
    currentUser {
      id
    }
  }
`

/** A server that answers when told to, recording what is in flight. */
function fakeServer() {
  const inFlight = new Set<string>()
  const sent: string[] = []
  const aborted: string[] = []
  let maxInFlight = 0
  const answers = new Map<string, () => void>()
  const link = new ApolloLink(
    (op) =>
      new Observable((observer) => {
        const key = `${op.operationName}:${JSON.stringify(op.variables)}`
        sent.push(key)
        inFlight.add(key)
        maxInFlight = Math.max(maxInFlight, [...inFlight].filter((k) => k.startsWith('Preview')).length)
        answers.set(key, () => {
          inFlight.delete(key)
          observer.next({ data: op.operationName === 'Me' ? { currentUser: { __typename: 'User', id: '1' } } : { search: { __typename: 'Search', results: { __typename: 'SearchResults', matchCount: 1 } } } })
          observer.complete()
        })
        return () => {
          if (inFlight.delete(key)) aborted.push(key)
        }
      }),
  )
  return { link, sent, aborted, answers, inFlight, max: () => maxInFlight }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('expensiveLane', () => {
  it('recognises the expensive root fields', () => {
    expect(isExpensive({ query: SEARCH })).toBe(true)
    expect(isExpensive({ query: CHEAP })).toBe(false)
  })

  it('sends one expensive operation at a time, in order, and others at once', async () => {
    const server = fakeServer()
    const client = new ApolloClient({ link: ApolloLink.from([expensiveLane(), server.link]), cache: new InMemoryCache() })
    const a = client.query({ query: SEARCH, variables: { q: 'a' }, fetchPolicy: 'network-only' })
    const b = client.query({ query: SEARCH, variables: { q: 'b' }, fetchPolicy: 'network-only' })
    const me = client.query({ query: CHEAP, fetchPolicy: 'network-only' })
    await tick()
    expect(server.sent).toEqual(['Preview:{"q":"a"}', 'Me:{}'])
    server.answers.get('Me:{}')?.()
    await me
    server.answers.get('Preview:{"q":"a"}')?.()
    await a
    await tick()
    expect(server.sent).toEqual(['Preview:{"q":"a"}', 'Me:{}', 'Preview:{"q":"b"}'])
    server.answers.get('Preview:{"q":"b"}')?.()
    await b
    expect(server.max()).toBe(1)
  })

  it('aborts a running operation whose query changed, and never sends a queued one nobody waits for', async () => {
    const server = fakeServer()
    const client = new ApolloClient({ link: ApolloLink.from([expensiveLane(), server.link]), cache: new InMemoryCache() })
    const ignore = () => undefined
    // As a preview does while its query is typed: each new query replaces the last.
    const watch = client.watchQuery({ query: SEARCH, variables: { q: 'a' }, fetchPolicy: 'network-only' })
    const sub = watch.subscribe(ignore)
    await tick()
    watch.setVariables({ q: 'ab' }).catch(ignore)
    await tick()
    expect(server.aborted).toEqual(['Preview:{"q":"a"}'])
    expect(server.sent).toEqual(['Preview:{"q":"a"}', 'Preview:{"q":"ab"}'])
    // Another page's search holds the lane while the preview changes twice: the middle
    // query is dropped from the queue, never sent.
    const other = client.query({ query: SEARCH, variables: { q: 'other' }, fetchPolicy: 'network-only' })
    server.answers.get('Preview:{"q":"ab"}')?.()
    await tick()
    watch.setVariables({ q: 'abc' }).catch(ignore)
    await tick()
    watch.setVariables({ q: 'abcd' }).catch(ignore)
    await tick()
    expect(server.sent).toEqual(['Preview:{"q":"a"}', 'Preview:{"q":"ab"}', 'Preview:{"q":"other"}'])
    server.answers.get('Preview:{"q":"other"}')?.()
    await other
    await tick()
    expect(server.sent).toEqual(['Preview:{"q":"a"}', 'Preview:{"q":"ab"}', 'Preview:{"q":"other"}', 'Preview:{"q":"abcd"}'])
    expect(server.max()).toBe(1)
    sub.unsubscribe()
    await tick()
    expect(server.inFlight.size).toBe(0)
  })
})
