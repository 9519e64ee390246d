// Formatting shared by the charts and the pages around them (no chart library here, so
// pages import it without loading one).

/** Series colours for series the API gives none: distinct, and readable on white (WCAG AA for lines). */
const palette = ['#0b5cad', '#b3261e', '#1a7f37', '#8250df', '#bc4c00', '#0a7b83', '#bf3989', '#6e7781', '#7d6b00', '#3b5bdb']

export function colorAt(i: number): string {
  return palette[((i % palette.length) + palette.length) % palette.length] ?? '#0b5cad'
}

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })

/** A point's time: the date, with the hour for hourly series. */
export function formatTime(ms: number, withHours: boolean): string {
  return (withHours ? dateTimeFmt : dateFmt).format(new Date(ms))
}

const numberFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 })

export function formatValue(v: number): string {
  return numberFmt.format(v)
}
