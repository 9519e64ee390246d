const labels: Record<string, string> = { PENDING: 'pending', SUCCESS: 'success', ERROR: 'error' }

/** A run's or delivery's state, in words (colour is not the only cue). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{labels[status] ?? status.toLowerCase()}</span>
}
