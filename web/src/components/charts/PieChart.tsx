// A pie chart of parts of a whole (an insight's languages): slices from d3-shape's pie
// and arc generators in SVG, a legend with shares, and the data as a table. Small parts
// under otherThreshold are one "Other" slice.
import { arc, pie } from 'd3-shape'
import { useId, useMemo, useState } from 'react'
import { colorAt, formatValue } from './format'
import './charts.css'

export interface PieSlice {
  label: string
  value: number
}

export interface PieChartProps {
  title: string
  slices: PieSlice[]
  /** Parts under this share (0.03 is 3%) are shown as Other. */
  otherThreshold?: number
  size?: number
  onSliceClick?: (label: string) => void
}

/** Slices largest first, the small ones summed into Other. */
export function groupSlices(slices: PieSlice[], otherThreshold: number): PieSlice[] {
  const total = slices.reduce((n, s) => n + s.value, 0)
  const sorted = [...slices].filter((s) => s.value > 0).sort((a, b) => b.value - a.value)
  if (total === 0) return []
  const big = sorted.filter((s) => s.value / total >= otherThreshold)
  const other = sorted.filter((s) => s.value / total < otherThreshold).reduce((n, s) => n + s.value, 0)
  return other > 0 ? [...big, { label: 'Other', value: other }] : big
}

export default function PieChart({ title, slices, otherThreshold = 0.03, size = 220, onSliceClick }: PieChartProps) {
  const [showTable, setShowTable] = useState(false)
  const tableId = useId()
  const grouped = useMemo(() => groupSlices(slices, otherThreshold), [slices, otherThreshold])
  const total = grouped.reduce((n, s) => n + s.value, 0)
  const r = size / 2
  const arcs = useMemo(() => pie<PieSlice>().value((s) => s.value).sort(null)(grouped), [grouped])
  const path = arc<(typeof arcs)[number]>().innerRadius(0).outerRadius(r - 2)
  const share = (v: number) => (total ? `${((v / total) * 100).toFixed(1)}%` : '0%')
  return (
    <div className="chart chart-pie" data-chart="pie" data-drawn="true" data-slices={grouped.length}>
      {grouped.length === 0 ? (
        <p className="muted">No data.</p>
      ) : (
        <div className="pie-layout">
          <svg width={size} height={size} viewBox={`${-r} ${-r} ${size} ${size}`} role="img" aria-label={`${title}: ${grouped.map((s) => `${s.label} ${share(s.value)}`).join(', ')}`}>
            {arcs.map((a, i) => (
              <path
                key={a.data.label}
                d={path(a) ?? ''}
                fill={colorAt(i)}
                stroke="#fff"
                strokeWidth={1}
                data-label={a.data.label}
                data-value={a.data.value}
                style={onSliceClick && a.data.label !== 'Other' ? { cursor: 'pointer' } : undefined}
                onClick={onSliceClick && a.data.label !== 'Other' ? () => onSliceClick(a.data.label) : undefined}
              >
                <title>{`${a.data.label}: ${formatValue(a.data.value)} (${share(a.data.value)})`}</title>
              </path>
            ))}
          </svg>
          <ul className="chart-legend vertical" aria-label={`Parts of ${title}`}>
            {grouped.map((s, i) => (
              <li key={s.label}>
                <span className="swatch" style={{ background: colorAt(i) }} aria-hidden="true" />
                {onSliceClick && s.label !== 'Other' ? (
                  <button type="button" className="btn-link" onClick={() => onSliceClick(s.label)}>
                    {s.label}
                  </button>
                ) : (
                  s.label
                )}{' '}
                <span className="muted">{share(s.value)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <button type="button" className="btn-link small" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable(!showTable)}>
        {showTable ? 'Hide the data' : 'Show the data'}
      </button>
      {showTable ? (
        <div className="table-wrap chart-data" id={tableId} tabIndex={0} role="region" aria-label={`Data of ${title}`}>
          <table>
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">Part</th>
                <th scope="col">Value</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {grouped.map((s) => (
                <tr key={s.label}>
                  <th scope="row">{s.label}</th>
                  <td className="num" data-label={s.label} data-value={s.value}>
                    {formatValue(s.value)}
                  </td>
                  <td className="num">{share(s.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  )
}
