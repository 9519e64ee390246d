// The line a campaign spec problem is at: the API reports spec problems as messages
// ("yaml: line 3: ...", "line 7: field foo not found"), possibly as extensions with the
// line and key; the editor marks those lines.

export interface SpecProblem {
  message: string
  /** 1-based, when known. */
  line?: number
  key?: string
}

const linePattern = /\bline (\d+)\b/i

/** Problems from an API error's message (and its extensions, when they name lines). */
export function specProblems(message: string, extensions?: Record<string, unknown>): SpecProblem[] {
  const listed = extensions?.['problems']
  if (Array.isArray(listed)) {
    const out: SpecProblem[] = []
    for (const p of listed) {
      if (typeof p === 'string') out.push(withLine(p))
      else if (p && typeof p === 'object') {
        const o = p as Record<string, unknown>
        const msg = typeof o['message'] === 'string' ? o['message'] : JSON.stringify(o)
        const line = typeof o['line'] === 'number' ? o['line'] : withLine(msg).line
        out.push({ message: msg, line, key: typeof o['key'] === 'string' ? o['key'] : undefined })
      }
    }
    if (out.length) return out
  }
  const body = message.replace(/^invalid campaign spec:\s*/i, '')
  return body
    .split(/;\s+|\n/)
    .map((s) => s.trim())
    .filter((s) => s && !/^(yaml: )?unmarshal errors:$/i.test(s))
    .map(withLine)
}

function withLine(message: string): SpecProblem {
  const m = linePattern.exec(message)
  return m ? { message, line: Number(m[1]) } : { message }
}
