// The live checklist of a code monitor's trigger query, as the form shows it while the
// user types. The server has the last word (createCodeMonitor rejects what the checks
// miss, and the preview search reports syntax errors with their position); these checks
// only say early what is missing.

export interface TriggerCheck {
  id: 'pattern' | 'type'
  ok: boolean
  label: string
  hint: string
}

const FILTER = /^-?[a-zA-Z.]+:/

/** Splits a query into its terms: quoted strings and /regexps/ stay whole. */
export function queryTerms(query: string): string[] {
  const terms: string[] = []
  const re = /\s*("(?:[^"\\]|\\.)*"|\/(?:[^/\\]|\\.)*\/|\S+)/g
  for (const m of query.matchAll(re)) {
    if (m[1]) terms.push(m[1])
  }
  return terms
}

export function triggerChecks(query: string): TriggerCheck[] {
  const terms = queryTerms(query)
  const keywords = new Set(['and', 'or', 'not'])
  const hasPattern = terms.some((t) => !FILTER.test(t) && !keywords.has(t.toLowerCase()) && t !== '(' && t !== ')')
  const types = terms.filter((t) => /^type:/i.test(t)).map((t) => t.slice(5).toLowerCase())
  const hasType = types.length > 0 && types.every((t) => t === 'diff' || t === 'commit')
  return [
    {
      id: 'pattern',
      ok: hasPattern,
      label: 'Has a pattern to match',
      hint: 'Add a word, "a phrase" or /a regexp/ that new commits or diffs must contain.',
    },
    {
      id: 'type',
      ok: hasType,
      label: 'Is a type:diff or type:commit search',
      hint: 'Monitors watch new changes: add type:diff (the changed lines) or type:commit (the message).',
    },
  ]
}
