/** A past or future time, relative ("3 minutes ago"), with the exact time on hover. */
export function Time({ date, now = Date.now() }: { date: string | null | undefined; now?: number }) {
  if (!date) return <span>never</span>
  const t = new Date(date)
  return (
    <time dateTime={date} title={t.toLocaleString()}>
      {relative(t.getTime(), now)}
    </time>
  )
}

export function relative(t: number, now: number): string {
  const s = Math.round((now - t) / 1000)
  const abs = Math.abs(s)
  const [n, unit] =
    abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.floor(abs / 60), 'minute'] : abs < 86400 ? [Math.floor(abs / 3600), 'hour'] : [Math.floor(abs / 86400), 'day']
  const text = `${n} ${unit}${n === 1 ? '' : 's'}`
  return s >= 0 ? `${text} ago` : `in ${text}`
}

/** A duration in milliseconds, short. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}
