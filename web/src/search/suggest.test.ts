import { describe, expect, it } from 'vitest'
import { applySuggestion, errorPosition, suggest, tokenAt } from './suggest'

const labels = (q: string, cursor = q.length) => suggest(q, cursor).map((s) => s.label)

describe('suggest', () => {
  it('completes filter names from their first letters', () => {
    expect(labels('TODO ty')).toEqual(['type:'])
    expect(labels('co')).toEqual(['content:', 'committer:', 'count:', 'context:'])
  })
  it('completes the values of a filter', () => {
    expect(labels('TODO type:d')).toEqual(['type:diff'])
    expect(labels('type:')).toEqual(['type:file', 'type:path', 'type:repo', 'type:commit', 'type:diff'])
    expect(labels('-fork:')).toEqual(['-fork:yes', '-fork:no', '-fork:only'])
  })
  it('suggests nothing for a finished value, a pattern or an empty token', () => {
    expect(labels('type:diff')).toEqual([])
    expect(labels('foo(')).toEqual([])
    expect(labels('type:diff ')).toEqual([])
  })
  it('works on the token under the cursor, not the last one', () => {
    expect(suggest('lan TODO', 3).map((s) => s.label)).toEqual(['lang:'])
  })
  it('replaces the whole token under the cursor', () => {
    expect(applySuggestion('TODO type:d', 11, 'type:diff ')).toEqual({ query: 'TODO type:diff ', cursor: 15 })
    expect(applySuggestion('lan TODO', 2, 'lang:')).toEqual({ query: 'lang: TODO', cursor: 5 })
    expect(tokenAt('a bc', 4)).toEqual({ start: 2, text: 'bc' })
  })
})

describe('errorPosition', () => {
  it('reads the position of a query error', () => {
    expect(errorPosition('invalid query at 12 (")"): unbalanced parenthesis')).toBe(12)
    expect(errorPosition('invalid query: empty')).toBeNull()
  })
})
