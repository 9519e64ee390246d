import { describe, expect, it } from 'vitest'
import { newAction } from '../codemonitors/ActionsEditor'
import { issueDraftProblems } from './EditPage'

const valid = {
  description: 'Insecure calls',
  enabled: true,
  query: 'insecureCall',
  identity: 'DEFAULT' as const,
  searchSchedule: '@every 1h',
  updateSchedule: '@every 5m',
  maxIssuesPerRun: '100',
  solvable: true,
  unique: false,
  dismiss: false,
  ruleKind: 'COUNT' as const,
  valueField: '',
  operation: 'GREATER_THAN' as const,
  levels: { critical: '', high: '', moderate: '', low: '0', informational: '' },
  actions: [],
}

describe('issueDraftProblems', () => {
  it('accepts a complete monitor', () => {
    expect(issueDraftProblems(valid)).toEqual([])
  })
  it('wants a level threshold, numbers, and a field for a value rule', () => {
    expect(issueDraftProblems({ ...valid, levels: { ...valid.levels, low: '' } })).toEqual(['Set a threshold for at least one priority level.'])
    expect(issueDraftProblems({ ...valid, levels: { ...valid.levels, high: 'ten' } })).toEqual(['The P2 high threshold must be a number.'])
    expect(issueDraftProblems({ ...valid, ruleKind: 'VALUE' })).toEqual(['A value rule needs the field to compare (like matchCount).'])
    expect(issueDraftProblems({ ...valid, maxIssuesPerRun: '0' })).toEqual(['New issues per run must be a whole number of at least 1.'])
  })
  it('reports an action whose URL is not usable', () => {
    const slack = { ...newAction('slackWebhook'), url: 'https://example.com/x' }
    expect(issueDraftProblems({ ...valid, actions: [slack] })).toEqual(['Slack webhook URLs start with https://hooks.slack.com/.'])
  })
})
