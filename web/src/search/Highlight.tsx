import type { ReactNode } from 'react'

/** Marks ranges [start, length) of one line of text. */
export function markRanges(text: string, ranges: readonly (readonly number[])[]): ReactNode[] {
  const sorted = [...ranges].filter((r) => r.length >= 2).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
  const out: ReactNode[] = []
  let at = 0
  for (const [start = 0, length = 0] of sorted) {
    if (start < at) continue
    if (start > at) out.push(text.slice(at, start))
    out.push(<mark key={start}>{text.slice(start, start + length)}</mark>)
    at = start + length
  }
  if (at < text.length) out.push(text.slice(at))
  return out
}

/** A multi-line HighlightedString (a commit message or diff hunks), with diff colouring. */
export function HighlightedText({ value, highlights, diff }: { value: string; highlights: { line: number; character: number; length: number }[]; diff?: boolean }) {
  const lines = value.split('\n')
  return (
    <pre className="code">
      {lines.map((line, i) => {
        const ranges = highlights.filter((h) => h.line === i).map((h) => [h.character, h.length])
        const cls = diff ? (line.startsWith('+') ? 'diff-add' : line.startsWith('-') ? 'diff-del' : line.startsWith('@@') ? 'diff-hunk' : undefined) : undefined
        return (
          <div key={i} className={cls}>
            {markRanges(line, ranges)}
            {line === '' ? '\u00a0' : null}
          </div>
        )
      })}
    </pre>
  )
}
