// Filter suggestions for the search box: what the query language allows at the cursor,
// completed as the user types (filter names, then each filter's values). Repository and
// search context names come from the API (SearchPage); everything else is known here.

export interface Suggestion {
  /** What replaces the token at the cursor. */
  insert: string
  /** What the list shows. */
  label: string
  detail: string
}

export const filters: { name: string; detail: string }[] = [
  { name: 'repo:', detail: 'repositories whose name matches a regexp' },
  { name: 'file:', detail: 'files whose path matches a regexp' },
  { name: 'lang:', detail: 'files in a language' },
  { name: 'type:', detail: 'what to search: file, path, repo, commit, diff' },
  { name: 'content:', detail: 'the pattern, stated explicitly' },
  { name: 'case:', detail: 'case-sensitive matching' },
  { name: 'rev:', detail: 'revisions to search' },
  { name: 'author:', detail: 'commits by an author (type:commit or diff)' },
  { name: 'committer:', detail: 'commits by a committer' },
  { name: 'message:', detail: 'commits whose message matches' },
  { name: 'before:', detail: 'commits before a date' },
  { name: 'after:', detail: 'commits after a date' },
  { name: 'count:', detail: 'how many results at most' },
  { name: 'timeout:', detail: 'how long the search may take' },
  { name: 'fork:', detail: 'include forks' },
  { name: 'archived:', detail: 'include archived repositories' },
  { name: 'visibility:', detail: 'public or private repositories' },
  { name: 'select:', detail: 'show only part of each result' },
  { name: 'patterntype:', detail: 'how bare words are read' },
  { name: 'context:', detail: 'a saved set of repositories' },
]

const values: Record<string, string[]> = {
  type: ['file', 'path', 'repo', 'commit', 'diff'],
  case: ['yes', 'no'],
  fork: ['yes', 'no', 'only'],
  archived: ['yes', 'no', 'only'],
  visibility: ['any', 'public', 'private'],
  select: ['repo', 'file', 'file.directory', 'content', 'commit', 'commit.diff.added', 'commit.diff.removed'],
  patterntype: ['standard', 'literal', 'regexp', 'keyword'],
  count: ['10', '100', '1000', 'all'],
  timeout: ['10s', '30s', '1m'],
  lang: ['Go', 'TypeScript', 'JavaScript', 'Python', 'Java', 'Rust', 'Ruby', 'C', 'C++', 'C#', 'Kotlin', 'Swift', 'PHP', 'Shell', 'Markdown', 'YAML', 'JSON'],
}

/** The token the cursor is in: its start offset and text (up to the cursor). */
export function tokenAt(query: string, cursor: number): { start: number; text: string } {
  let start = cursor
  while (start > 0 && !/\s/.test(query[start - 1] ?? '')) start--
  return { start, text: query.slice(start, cursor) }
}

/** The filter a token names (without a leading -), or null for a pattern. */
export function filterOf(token: string): { name: string; value: string; negated: boolean } | null {
  const m = /^(-?)([a-zA-Z.]+):(.*)$/.exec(token)
  if (!m) return null
  return { negated: m[1] === '-', name: (m[2] ?? '').toLowerCase(), value: m[3] ?? '' }
}

/** What to suggest at the cursor, at most limit entries. */
export function suggest(query: string, cursor: number, limit = 8): Suggestion[] {
  const { text } = tokenAt(query, cursor)
  if (text === '') return []
  const f = filterOf(text)
  if (f) {
    const prefix = `${f.negated ? '-' : ''}${f.name}:`
    const opts = values[f.name] ?? []
    return opts
      .filter((v) => v.toLowerCase().startsWith(f.value.toLowerCase()) && v.toLowerCase() !== f.value.toLowerCase())
      .slice(0, limit)
      .map((v) => ({ insert: prefix + (/\s/.test(v) ? `"${v}"` : v) + ' ', label: prefix + v, detail: '' }))
  }
  const bare = text.replace(/^-/, '').toLowerCase()
  if (!/^[a-z]+$/.test(bare)) return []
  return filters
    .filter((x) => x.name.startsWith(bare))
    .slice(0, limit)
    .map((x) => ({ insert: (text.startsWith('-') ? '-' : '') + x.name, label: x.name, detail: x.detail }))
}

/** query with the token at the cursor replaced by insert; returns the new text and cursor. */
export function applySuggestion(query: string, cursor: number, insert: string): { query: string; cursor: number } {
  const { start } = tokenAt(query, cursor)
  let end = cursor
  while (end < query.length && !/\s/.test(query[end] ?? '')) end++
  const next = query.slice(0, start) + insert + query.slice(end)
  return { query: next, cursor: start + insert.length }
}

/** The position a query error names ("invalid query at 12 …"), or null. */
export function errorPosition(message: string): number | null {
  const m = /invalid query at (\d+)/.exec(message)
  return m?.[1] ? Number(m[1]) : null
}
