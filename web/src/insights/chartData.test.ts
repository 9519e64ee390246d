import { describe, expect, it } from 'vitest'
import { backfillOf, lineData, pieData, type InsightViewData } from './chartData'

type Series = InsightViewData['dataSeries'][number]

function series(id: string, points: [string, number][], status: Partial<Series['status']> = {}): Series {
  return {
    seriesId: id,
    label: id,
    times: points.map(([t]) => t),
    values: points.map(([, v]) => v),
    status: { isLoadingData: false, percentComplete: 100, backfillState: 'COMPLETED', queuePosition: null, pendingJobs: 0, failedJobs: 0, incompleteDatapoints: [], ...status },
  }
}

function view(dataSeries: Series[], colors: Record<string, string> = {}, calculated = true): InsightViewData {
  return {
    presentation: { __typename: 'LineChartInsightViewPresentation', title: 't', seriesPresentation: Object.entries(colors).map(([seriesId, color]) => ({ seriesId, label: seriesId, color })) },
    dataSeries,
    dataSeriesDefinitions: [{ __typename: 'SearchInsightDataSeriesDefinition', isCalculated: calculated }],
  } as unknown as InsightViewData
}

describe('lineData', () => {
  it('puts every series on the union of their times, missing points as null', () => {
    const d = lineData(view([series('a', [['2025-01-01T00:00:00Z', 1], ['2025-02-01T00:00:00Z', 2]]), series('a-x', [['2025-02-01T00:00:00Z', 5], ['2025-03-01T00:00:00Z', 6]])], { a: '#ff0000' }))
    expect(d.times).toEqual([Date.parse('2025-01-01T00:00:00Z'), Date.parse('2025-02-01T00:00:00Z'), Date.parse('2025-03-01T00:00:00Z')])
    expect(d.series.map((s) => s.values)).toEqual([[1, 2, null], [null, 5, 6]])
    expect(d.series[0]?.color).toBe('#ff0000')
    expect(d.series[1]?.color).toMatch(/^#[0-9a-f]{6}$/)
  })
})

describe('pieData', () => {
  it('takes each series newest value', () => {
    expect(pieData(view([series('Go', [['2025-01-01T00:00:00Z', 3], ['2025-01-02T00:00:00Z', 7]]), series('C', [])]))).toEqual([
      { label: 'Go', value: 7 },
      { label: 'C', value: 0 },
    ])
  })
})

describe('backfillOf', () => {
  it('is done when nothing loads', () => {
    expect(backfillOf(view([series('a', [])])).state).toBe('DONE')
  })
  it('is queued while every loading series waits, with the best queue position', () => {
    const b = backfillOf(view([series('a', [], { isLoadingData: true, backfillState: 'QUEUED', queuePosition: 3, percentComplete: 0 }), series('b', [], { isLoadingData: true, backfillState: 'NEW', queuePosition: 2, percentComplete: 0 })]))
    expect(b).toMatchObject({ loading: true, state: 'QUEUED', queuePosition: 2, percent: 0 })
  })
  it('is in progress with the mean percentage of the loading series', () => {
    const b = backfillOf(view([series('a', [], { isLoadingData: true, backfillState: 'PROCESSING', percentComplete: 40 }), series('b', [], { isLoadingData: true, backfillState: 'QUEUED', percentComplete: 0 }), series('c', [])]))
    expect(b).toMatchObject({ state: 'IN_PROGRESS', percent: 20 })
  })
  it('is in progress, with no percentage, until a series has data stored', () => {
    expect(backfillOf(view([series('a', [])], {}, false))).toMatchObject({ loading: true, state: 'IN_PROGRESS', percent: null })
  })
  it('says failed, and lists incomplete times with their reasons', () => {
    const b = backfillOf(
      view([
        series('a', [], { backfillState: 'FAILED', incompleteDatapoints: [{ __typename: 'GenericIncompleteDatapointAlert', time: '2025-01-01T00:00:00Z', reason: 'clone failed' }] }),
        series('b', [], { incompleteDatapoints: [{ __typename: 'TimeoutDatapointAlert', time: '2025-01-01T00:00:00Z' }] }),
      ]),
    )
    expect(b.state).toBe('FAILED')
    expect(backfillOf(view([series('a', [], { backfillState: 'FAILED' })], {}, false))).toMatchObject({ loading: false, state: 'FAILED' })
    expect(b.incomplete).toEqual([{ time: '2025-01-01T00:00:00Z', reason: 'clone failed; the search timed out' }])
  })
})
