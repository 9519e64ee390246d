// The charts, each loaded on first use: uPlot and d3-shape ship in their own chunks, so
// the first load of any page stays within its JavaScript budget and pages without charts
// never load them. Pages render these as <LineChart/> and <PieChart/> and get a
// placeholder of the same height while the chunk loads.
import { lazy, Suspense, type ComponentType } from 'react'
import type { LineChartProps } from './LineChart'
import type { PieChartProps } from './PieChart'

export type { ChartSeries } from './LineChart'
export type { PieSlice } from './PieChart'

/**
 * A chart component from a chunk loaded on demand. Once the chunk is there the component
 * renders directly: suspending on a chunk that is already loaded still holds the charts
 * back, as React reveals a suspended boundary only after a throttle of a few hundred
 * milliseconds.
 */
function chunked<P extends object>(load: () => Promise<{ default: ComponentType<P> }>, height: (p: P) => number) {
  let loaded: ComponentType<P> | null = null
  const get = () =>
    load().then((m) => {
      loaded = m.default
      return m
    })
  const Lazy = lazy(get)
  function Chart(props: P) {
    if (loaded) {
      const C = loaded
      return <C {...props} />
    }
    return (
      <Suspense fallback={<div className="chart-placeholder" style={{ height: height(props) }} role="status" aria-label="Loading the chart" />}>
        <Lazy {...props} />
      </Suspense>
    )
  }
  return { Chart, preload: () => void get() }
}

const line = chunked<LineChartProps>(() => import('./LineChart'), (p) => (p.height ?? 240) + 60)
const pie = chunked<PieChartProps>(() => import('./PieChart'), (p) => p.size ?? 220)

export const LineChart = line.Chart
export const PieChart = pie.Chart

/** Starts loading the line chart's chunk now: a page that will draw charts calls it
 * before asking for their data, so the chunk is not queued behind those requests. */
export const preloadLineChart = line.preload
