import { describe, expect, it } from 'vitest'
import { branchFor, percentComplete, statsSummary } from './format'

const zero = { total: 0, unpublished: 0, open: 0, draft: 0, merged: 0, closed: 0, deleted: 0, pushed: 0, scheduled: 0, processing: 0, retrying: 0, failed: 0 }

describe('campaign counts', () => {
  it('counts done changesets out of all, failed and unpublished ones included', () => {
    expect(percentComplete({ ...zero, total: 3, pushed: 2, unpublished: 1, failed: 1 })).toBe(66)
    expect(percentComplete(zero)).toBe(0)
  })
  it('lists the states with changesets, drafts apart from open', () => {
    expect(statsSummary({ ...zero, total: 5, open: 3, draft: 1, merged: 2 }).map((p) => `${p.n} ${p.label}`)).toEqual(['2 merged', '2 open', '1 draft'])
  })
  it('makes a branch name from a campaign name', () => {
    expect(branchFor('Foo to bar!')).toBe('campaigns/foo-to-bar')
    expect(branchFor('  ')).toBe('')
  })
})
