// Turns an insight view as the API returns it into what the charts draw and what the card
// says about its backfill. Pure functions, tested in chartData.test.ts.
import { colorAt } from '../components/charts/format'
import type { ChartSeries, PieSlice } from '../components/charts'
import type { InsightViewFieldsFragment } from '../graphql/graphql'

export type InsightViewData = InsightViewFieldsFragment

export function viewTitle(v: { presentation: { __typename?: string; title?: string } }): string {
  return v.presentation.title ?? 'Untitled insight'
}

export function isPie(v: { presentation: { __typename?: string } }): boolean {
  return v.presentation.__typename === 'PieChartInsightViewPresentation'
}

/** Every series' points on one time axis (the union of their times); a missing point is null. */
export function lineData(v: InsightViewData): { times: number[]; series: ChartSeries[] } {
  const all = new Set<number>()
  for (const s of v.dataSeries) for (const t of s.times) all.add(Date.parse(t))
  const times = [...all].sort((a, b) => a - b)
  const at = new Map(times.map((t, i) => [t, i]))
  const colors = new Map<string, string>()
  if (v.presentation.__typename === 'LineChartInsightViewPresentation') {
    for (const p of v.presentation.seriesPresentation) colors.set(p.seriesId, p.color)
  }
  const series = v.dataSeries.map((s, i) => {
    const values: (number | null)[] = times.map(() => null)
    s.times.forEach((t, j) => {
      values[at.get(Date.parse(t)) ?? 0] = s.values[j] ?? null
    })
    // Series pivoted from capture groups or a group-by have ids "<series>-<value>" and
    // no colour of their own.
    const color = colors.get(s.seriesId)
    return { id: s.seriesId, label: s.label, color: color && /^#[0-9a-f]{6}$/i.test(color) ? color : colorAt(i), values }
  })
  return { times, series }
}

/** A pie's slices: each language series' newest value. */
export function pieData(v: InsightViewData): PieSlice[] {
  return v.dataSeries.map((s) => ({ label: s.label, value: s.values[s.values.length - 1] ?? 0 }))
}

export interface Backfill {
  /** Points are still being computed. */
  loading: boolean
  /** 0–100 over the series still computing, when the API says. */
  percent: number | null
  /** QUEUED, IN_PROGRESS, FAILED or DONE. */
  state: 'QUEUED' | 'IN_PROGRESS' | 'FAILED' | 'DONE'
  queuePosition: number | null
  /** Times with points the backfill could not compute, with why. */
  incomplete: { time: string; reason: string }[]
}

/** What the card says about how far the series' points are. */
export function backfillOf(v: InsightViewData): Backfill {
  const statuses = v.dataSeries.map((s) => s.status)
  // A series without data stored yet (a new snapshot series before its first snapshot
  // has no backfill to report on) is still being computed too.
  const uncalculated = v.dataSeriesDefinitions.some((d) => d.__typename === 'SearchInsightDataSeriesDefinition' && !d.isCalculated)
  const failed = statuses.some((s) => s.backfillState === 'FAILED' || s.failedJobs > 0)
  const loading = (uncalculated && !failed) || statuses.some((s) => s.isLoadingData)
  const running = statuses.filter((s) => s.isLoadingData)
  const percents = running.map((s) => s.percentComplete).filter((p): p is number => p != null)
  const queued = running.length > 0 && running.every((s) => s.backfillState === 'NEW' || s.backfillState === 'QUEUED')
  const positions = running.map((s) => s.queuePosition).filter((p): p is number => p != null)
  const incomplete = new Map<string, string>()
  for (const s of statuses) {
    for (const a of s.incompleteDatapoints) {
      const reason = a.__typename === 'GenericIncompleteDatapointAlert' ? a.reason : a.__typename === 'TimeoutDatapointAlert' ? 'the search timed out' : 'incomplete'
      incomplete.set(a.time, incomplete.has(a.time) ? `${incomplete.get(a.time)}; ${reason}` : reason)
    }
  }
  return {
    loading,
    percent: percents.length ? Math.floor(percents.reduce((a, b) => a + b, 0) / percents.length) : null,
    state: failed ? 'FAILED' : !loading ? 'DONE' : queued ? 'QUEUED' : 'IN_PROGRESS',
    queuePosition: positions.length ? Math.min(...positions) : null,
    incomplete: [...incomplete].sort(([a], [b]) => a.localeCompare(b)).map(([time, reason]) => ({ time, reason })),
  }
}

/** The search page URL of a query. */
export function searchURL(query: string): string {
  return `/search?q=${encodeURIComponent(query)}`
}
