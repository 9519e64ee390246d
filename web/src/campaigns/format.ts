// Words for campaign and changeset states, shared by the campaign pages.
import type { ChangesetsStatsFieldsFragment } from '../graphql/graphql'

export const campaignStateNames: Record<string, string> = { OPEN: 'open', DRAFT: 'draft', CLOSED: 'closed' }

export const changesetStateNames: Record<string, string> = {
  UNPUBLISHED: 'unpublished',
  OPEN: 'open',
  DRAFT: 'draft',
  CLOSED: 'closed',
  MERGED: 'merged',
  DELETED: 'deleted',
  PUSHED: 'pushed',
}

export const reviewStateNames: Record<string, string> = { APPROVED: 'approved', CHANGES_REQUESTED: 'changes requested', PENDING: 'review pending', COMMENTED: 'commented' }
export const checkStateNames: Record<string, string> = { PENDING: 'checks pending', PASSED: 'checks passed', FAILED: 'checks failed' }

/** The counts a list row shows: the states with changesets, most advanced first. */
export function statsSummary(s: ChangesetsStatsFieldsFragment): { label: string; n: number; key: string }[] {
  const parts: [string, string, number][] = [
    ['merged', 'merged', s.merged],
    ['pushed', 'pushed', s.pushed],
    ['open', 'open', s.open - s.draft],
    ['draft', 'draft', s.draft],
    ['closed', 'closed', s.closed],
    ['deleted', 'deleted', s.deleted],
    ['unpublished', 'unpublished', s.unpublished],
    ['failed', 'failed', s.failed],
  ]
  return parts.filter(([, , n]) => n > 0).map(([key, label, n]) => ({ key, label, n }))
}

/** The changesets that are done (merged, closed, deleted, or pushed where there are no
 * pull requests) out of all, rounded down. */
export function percentComplete(s: ChangesetsStatsFieldsFragment): number {
  return s.total > 0 ? Math.floor(((s.merged + s.closed + s.pushed + s.deleted) * 100) / s.total) : 0
}

/** A branch name from a campaign name: campaigns/lower-case-words. */
export function branchFor(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
  return slug ? `campaigns/${slug}` : ''
}
