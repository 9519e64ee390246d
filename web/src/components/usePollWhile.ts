import { useEffect } from 'react'

/** Reads a query again every ms while active (pages following work the worker does). */
export function usePollWhile(active: boolean, ms: number, query: { startPolling: (ms: number) => void; stopPolling: () => void }) {
  const { startPolling, stopPolling } = query
  useEffect(() => {
    if (!active) return stopPolling()
    startPolling(ms)
    return () => stopPolling()
  }, [active, ms, startPolling, stopPolling])
}
