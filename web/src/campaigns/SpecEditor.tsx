// The campaign spec editor: a textarea with line numbers, and problems marked at their
// line — YAML syntax and unknown keys as they are typed (checked here with the yaml
// package, loaded with this page), and the API's problems after a preview is asked for.
import { useEffect, useId, useRef, useState } from 'react'
import { useDebounced } from '../components/useDebounced'
import type { SpecProblem } from './specErrors'

/** The keys a spec's top level may hold (the API refuses others). */
const topKeys = new Set(['name', 'description', 'on', 'steps', 'timeLimit', 'outputLimit', 'changesetTemplate'])

/** Problems the browser finds without asking the API: YAML syntax and unknown top-level keys. */
export async function localSpecProblems(text: string): Promise<SpecProblem[]> {
  if (!text.trim()) return []
  const { parseDocument, LineCounter, isMap, isScalar } = await import('yaml')
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const out: SpecProblem[] = doc.errors.map((e) => ({ message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''), line: e.linePos?.[0]?.line }))
  if (out.length) return out
  if (!isMap(doc.contents)) return [{ message: 'A spec is a mapping of keys: on, steps, changesetTemplate…', line: 1 }]
  for (const pair of doc.contents.items) {
    if (isScalar(pair.key) && !topKeys.has(String(pair.key.value))) {
      const at = pair.key.range ? lines.linePos(pair.key.range[0]).line : undefined
      out.push({ message: `unknown key "${String(pair.key.value)}" (known: ${[...topKeys].join(', ')})`, line: at, key: String(pair.key.value) })
    }
  }
  return out
}

export function SpecEditor({ value, onChange, serverProblems }: { value: string; onChange: (v: string) => void; serverProblems: SpecProblem[] }) {
  const id = useId()
  const area = useRef<HTMLTextAreaElement>(null)
  const gutter = useRef<HTMLPreElement>(null)
  const settled = useDebounced(value, 300)
  const [local, setLocal] = useState<SpecProblem[]>([])
  useEffect(() => {
    let stale = false
    void localSpecProblems(settled).then((p) => {
      if (!stale) setLocal(p)
    })
    return () => {
      stale = true
    }
  }, [settled])
  const problems = [...local, ...serverProblems]
  const marked = new Set(problems.map((p) => p.line).filter((l): l is number => l != null))
  const count = value.split('\n').length
  const goTo = (line: number) => {
    const el = area.current
    if (!el) return
    const starts = [0]
    for (let i = 0; i < value.length; i++) if (value[i] === '\n') starts.push(i + 1)
    const start = starts[line - 1] ?? 0
    const end = (starts[line] ?? value.length + 1) - 1
    el.focus()
    el.setSelectionRange(start, Math.max(start, end))
  }
  return (
    <div className="spec-editor">
      <label htmlFor={id}>Campaign spec (YAML)</label>
      <div className="spec-editor-body">
        <pre className="spec-gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: count }, (_, i) => (
            <span key={i} className={marked.has(i + 1) ? 'has-problem' : undefined}>
              {i + 1}
            </span>
          ))}
        </pre>
        <textarea
          id={id}
          ref={area}
          value={value}
          spellCheck={false}
          rows={Math.max(14, Math.min(count + 1, 40))}
          wrap="off"
          aria-invalid={problems.length > 0}
          aria-describedby={`${id}-problems`}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop
          }}
        />
      </div>
      <div id={`${id}-problems`} aria-live="polite">
        {problems.length > 0 ? (
          <ul className="spec-problems" aria-label="Problems in the spec">
            {problems.map((p, i) => (
              <li key={i} data-line={p.line ?? ''}>
                {p.line != null ? (
                  <button type="button" className="btn-link" onClick={() => goTo(p.line ?? 1)}>
                    Line {p.line}
                  </button>
                ) : null}
                {p.line != null ? ': ' : ''}
                {p.message}
              </li>
            ))}
          </ul>
        ) : settled.trim() ? (
          <p className="hint">The YAML is well-formed; the server checks the rest when you preview.</p>
        ) : null}
      </div>
    </div>
  )
}
