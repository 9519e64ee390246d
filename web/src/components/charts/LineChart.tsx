// A time series chart drawn by uPlot on a canvas: one line (or stacked area) per
// series, axes, grid and cursor from the library; the legend, tooltip, keyboard
// navigation and data table are React, so they are accessible and testable. This module
// (with uPlot) is loaded only by pages that draw charts: import it through ./index.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import './charts.css'
import { formatTime, formatValue } from './format'

export interface ChartSeries {
  id: string
  label: string
  color: string
  /** One value per time (null: no value). */
  values: (number | null)[]
}

export interface LineChartProps {
  /** What the chart shows, for its accessible name and data table caption. */
  title: string
  /** Milliseconds since the epoch, ascending. */
  times: number[]
  series: ChartSeries[]
  height?: number
  /** Stacked areas (a burndown): each series is drawn on top of the ones before it. */
  stacked?: boolean
  /** Called when a point is clicked or chosen with Enter. */
  onPointClick?: (seriesIndex: number, timeIndex: number) => void
  /** Whether the time axis shows hours (for hourly series). */
  showHours?: boolean
}

/** Tick steps of a count axis: 1, 2, 5, 10, 20, 25, 50, 100… */
const countIncrements = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p)).concat([25, 250, 2500, 25000]).sort((a, b) => a - b)

interface Hover {
  idx: number
  series: number
  left: number
  top: number
}

/** The value plotted for series s at i: cumulative when stacked. */
function stack(series: ChartSeries[], stacked: boolean): (number | null)[][] {
  if (!stacked) return series.map((s) => s.values)
  const out: (number | null)[][] = []
  series.forEach((s, si) => {
    out.push(s.values.map((v, i) => (v ?? 0) + (si > 0 ? (out[si - 1]?.[i] ?? 0) : 0)))
  })
  return out
}

export default function LineChart({ title, times, series, height = 240, stacked = false, onPointClick, showHours = false }: LineChartProps) {
  const wrap = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const [drawn, setDrawn] = useState(false)
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set())
  const [hover, setHover] = useState<Hover | null>(null)
  const [showTable, setShowTable] = useState(false)
  const hoverRef = useRef<Hover | null>(null)
  const clickRef = useRef(onPointClick)
  clickRef.current = onPointClick
  const tableId = useId()
  const plotted = useMemo(() => stack(series, stacked), [series, stacked])

  useEffect(() => {
    const el = wrap.current
    if (!el) return
    const width = Math.max(el.clientWidth, 200)
    const opts: uPlot.Options = {
      width,
      height,
      ms: 1,
      legend: { show: false },
      cursor: {
        drag: { x: false, y: false },
        focus: { prox: 24 },
        points: { size: 8 },
      },
      focus: { alpha: 0.4 },
      scales: {
        x: { time: true },
        // Counts start at zero, so a flat line of 1,000 does not look like a cliff.
        y: { range: (_u, _min, max) => [0, uPlot.rangeNum(0, Math.max(max, 1), 0.1, true)[1]] },
      },
      axes: [
        // uPlot picks the time ticks and their format (months, then the year where it changes).
        { stroke: '#555e69', grid: { stroke: '#e3e7eb' }, ticks: { stroke: '#c9d0d8' } },
        // Counts: whole-number ticks.
        { stroke: '#555e69', grid: { stroke: '#e3e7eb' }, ticks: { stroke: '#c9d0d8' }, incrs: countIncrements, values: (_u, splits) => splits.map((v) => formatValue(v)) },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: stacked ? `${s.color}55` : undefined,

          points: { show: times.length <= 30 },
        })),
      ],
      bands: stacked ? series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number] })) : undefined,
      hooks: {
        draw: [() => setDrawn(true)],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx
            if (idx == null || u.cursor.left == null || u.cursor.left < 0) {
              hoverRef.current = null
              setHover(null)
              return
            }
            const h = { idx, series: nearestSeries(u, idx, u.cursor.top ?? 0), left: u.cursor.left, top: u.cursor.top ?? 0 }
            hoverRef.current = h
            setHover(h)
          },
        ],
      },
    }
    const u = new uPlot(opts, [times, ...plotted] as uPlot.AlignedData, el)
    plot.current = u
    const click = () => {
      const h = hoverRef.current
      if (h && clickRef.current) clickRef.current(h.series, h.idx)
    }
    u.over.addEventListener('click', click)
    if (clickRef.current) u.over.style.cursor = 'pointer'
    const ro = new ResizeObserver(() => {
      const w = Math.max(el.clientWidth, 200)
      if (w !== u.width) u.setSize({ width: w, height })
    })
    ro.observe(el)
    return () => {
      ro.disconnect()
      u.over.removeEventListener('click', click)
      u.destroy()
      plot.current = null
      setDrawn(false)
    }
  }, [times, plotted, series, height, stacked, showHours])

  useEffect(() => {
    const u = plot.current
    if (!u) return
    series.forEach((_, i) => u.setSeries(i + 1, { show: !hidden.has(i) }))
  }, [hidden, series, drawn])

  /** Keyboard: arrows move between points and series, Enter opens the point. */
  const onKeyDown = (e: KeyboardEvent) => {
    const u = plot.current
    if (!u || times.length === 0 || series.length === 0) return
    const cur = hoverRef.current
    // The first arrow shows the newest point; later ones move from there.
    let idx = cur?.idx ?? times.length - 1
    let s = cur?.series ?? firstShown(series.length, hidden, 0, 1)
    switch (cur ? e.key : e.key.startsWith('Arrow') ? 'first' : e.key) {
      case 'first':
        break
      case 'ArrowLeft':
        idx = Math.max(0, idx - 1)
        break
      case 'ArrowRight':
        idx = Math.min(times.length - 1, idx + 1)
        break
      case 'ArrowUp':
        s = firstShown(series.length, hidden, s + 1, 1)
        break
      case 'ArrowDown':
        s = firstShown(series.length, hidden, s - 1, -1)
        break
      case 'Enter':
        if (hoverRef.current && onPointClick) onPointClick(s, idx)
        e.preventDefault()
        return
      default:
        return
    }
    e.preventDefault()
    const y = plotted[s]?.[idx] ?? 0
    const left = u.valToPos(times[idx] ?? 0, 'x')
    const top = u.valToPos(y, 'y')
    u.setCursor({ left, top }, false)
    const h = { idx, series: s, left, top }
    hoverRef.current = h
    setHover(h)
  }

  const hovered = hover ? series[hover.series] : undefined
  const hoveredValue = hover && hovered ? hovered.values[hover.idx] : null
  return (
    <div className="chart" data-chart="line" data-drawn={drawn ? 'true' : 'false'} data-points={times.length} data-series-count={series.length}>
      <div
        className="chart-plot"
        ref={wrap}
        tabIndex={0}
        role="group"
        aria-roledescription="chart"
        aria-label={`${title}: ${series.length} series over ${times.length} times. Arrow keys move between points${onPointClick ? ', Enter shows the point' : ''}.`}
        onKeyDown={onKeyDown}
        onBlur={() => setHover(null)}
      >
        {hover && hovered ? (
          <div className="chart-tooltip" role="status" style={{ left: Math.min(hover.left + 12, (wrap.current?.clientWidth ?? 300) - 180), top: Math.max(hover.top - 10, 0) }}>
            <div className="muted">{formatTime(times[hover.idx] ?? 0, showHours)}</div>
            <div>
              <span className="swatch" style={{ background: hovered.color }} aria-hidden="true" /> {hovered.label}: <strong>{hoveredValue == null ? 'no value' : formatValue(hoveredValue)}</strong>
            </div>
            {onPointClick ? <div className="muted small">Click for the repositories</div> : null}
          </div>
        ) : null}
      </div>
      <ul className="chart-legend" aria-label={`Series of ${title}`}>
        {series.map((s, i) => (
          <li key={s.id}>
            <button
              type="button"
              className="legend-item"
              aria-pressed={!hidden.has(i)}
              title={hidden.has(i) ? 'Show this series' : 'Hide this series'}
              onClick={() =>
                setHidden((prev) => {
                  const next = new Set(prev)
                  if (next.has(i)) next.delete(i)
                  else next.add(i)
                  return next
                })
              }
            >
              <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.label}
            </button>
          </li>
        ))}
      </ul>
      <button type="button" className="btn-link small" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable(!showTable)}>
        {showTable ? 'Hide the data' : 'Show the data'}
      </button>
      {showTable ? <DataTable id={tableId} title={title} times={times} series={series} showHours={showHours} /> : null}
    </div>
  )
}

/** The series whose plotted value at idx is closest to the cursor's height. */
function nearestSeries(u: uPlot, idx: number, top: number): number {
  let best = 0
  let dist = Infinity
  for (let s = 1; s < u.series.length; s++) {
    if (!u.series[s]?.show) continue
    const v = u.data[s]?.[idx]
    if (v == null) continue
    const d = Math.abs(u.valToPos(v, 'y') - top)
    if (d < dist) {
      dist = d
      best = s - 1
    }
  }
  return best
}

function firstShown(n: number, hidden: ReadonlySet<number>, from: number, step: number): number {
  for (let k = 0; k < n; k++) {
    const i = (((from + k * step) % n) + n) % n
    if (!hidden.has(i)) return i
  }
  return 0
}

/** The chart's numbers as a table: for screen readers, and what tests read. */
function DataTable({ id, title, times, series, showHours }: { id: string; title: string; times: number[]; series: ChartSeries[]; showHours: boolean }) {
  return (
    <div className="table-wrap chart-data" id={id} tabIndex={0} role="region" aria-label={`Data of ${title}`}>
      <table>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {series.map((s) => (
              <th scope="col" key={s.id}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {times.map((t, i) => (
            <tr key={t}>
              <th scope="row">
                <time dateTime={new Date(t).toISOString()}>{formatTime(t, showHours)}</time>
              </th>
              {series.map((s) => (
                <td key={s.id} className="num" data-series={s.id} data-time={new Date(t).toISOString()} data-value={s.values[i] ?? ''}>
                  {s.values[i] == null ? '–' : formatValue(s.values[i] ?? 0)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
