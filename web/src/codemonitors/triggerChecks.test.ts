import { describe, expect, it } from 'vitest'
import { queryTerms, triggerChecks } from './triggerChecks'

const ok = (q: string) => Object.fromEntries(triggerChecks(q).map((c) => [c.id, c.ok]))

describe('triggerChecks', () => {
  it('passes a diff search with a pattern', () => {
    expect(ok('type:diff repo:api TODO')).toEqual({ pattern: true, type: true })
  })
  it('wants a pattern, not only filters', () => {
    expect(ok('type:commit repo:api')).toEqual({ pattern: false, type: true })
  })
  it('wants type:diff or type:commit, not file search', () => {
    expect(ok('TODO')).toEqual({ pattern: true, type: false })
    expect(ok('type:file TODO')).toEqual({ pattern: true, type: false })
    expect(ok('type:diff TODO or type:file x')).toEqual({ pattern: true, type: false })
  })
  it('does not count operators and parentheses as patterns', () => {
    expect(ok('type:diff ( and )')).toEqual({ pattern: false, type: true })
  })
  it('keeps quoted phrases and regexps whole', () => {
    expect(queryTerms('type:diff "a b" /c d/ e')).toEqual(['type:diff', '"a b"', '/c d/', 'e'])
  })
})
