// The charts, each loaded on first use: uPlot and d3-shape ship in their own chunks, so
// the first load of any page stays within its JavaScript budget and pages without charts
// never load them. Pages render these as <LineChart/> and <PieChart/> and get a
// placeholder of the same height while the chunk loads.
import { lazy, Suspense, type ComponentProps } from 'react'

const LazyLine = lazy(() => import('./LineChart'))
const LazyPie = lazy(() => import('./PieChart'))

export type { ChartSeries } from './LineChart'
export type { PieSlice } from './PieChart'

export function LineChart(props: ComponentProps<typeof LazyLine>) {
  return (
    <Suspense fallback={<div className="chart-placeholder" style={{ height: (props.height ?? 240) + 60 }} role="status" aria-label="Loading the chart" />}>
      <LazyLine {...props} />
    </Suspense>
  )
}

export function PieChart(props: ComponentProps<typeof LazyPie>) {
  return (
    <Suspense fallback={<div className="chart-placeholder" style={{ height: props.size ?? 220 }} role="status" aria-label="Loading the chart" />}>
      <LazyPie {...props} />
    </Suspense>
  )
}
