// Checks a code host connection's JSON configuration as the admin types it: JSON syntax
// (with the line and column of the error), the fields each kind needs. The server
// validates again on save (addExternalService answers BAD_USER_INPUT with its reason).

export type Kind = 'GITHUB' | 'GITLAB' | 'GITEA' | 'BITBUCKETSERVER' | 'GIT'

export const kindLabels: Record<Kind, string> = {
  GITHUB: 'GitHub',
  GITLAB: 'GitLab',
  GITEA: 'Gitea',
  BITBUCKETSERVER: 'Bitbucket Server',
  GIT: 'Git (any remote)',
}

export const exampleConfigs: Record<Kind, string> = {
  GITHUB: '{\n  "token": "ghp_…",\n  "orgs": ["my-org"]\n}',
  GITLAB: '{\n  "token": "glpat-…",\n  "orgs": ["my-group"]\n}',
  GITEA: '{\n  "url": "https://gitea.example.com",\n  "token": "…",\n  "orgs": ["my-org"]\n}',
  BITBUCKETSERVER: '{\n  "url": "https://bitbucket.example.com",\n  "token": "…",\n  "orgs": ["PROJ"]\n}',
  GIT: '{\n  "repos": ["https://git.example.com/team/repo.git"]\n}',
}

/** Where in text a JSON.parse error points, as line and column (1-based). */
function position(text: string, message: string): string {
  const m = /position (\d+)/.exec(message)
  if (!m?.[1]) return ''
  const offset = Number(m[1])
  const before = text.slice(0, offset).split('\n')
  return ` (line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1})`
}

/** The problems of a configuration; empty when it looks valid. */
export function checkConfig(kind: Kind, text: string): string[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    return [`Not valid JSON${position(text, msg)}: ${msg}`]
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['The configuration must be a JSON object.']
  const c = value as Record<string, unknown>
  const problems: string[] = []
  const isStringList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string')
  if (kind === 'GIT') {
    const repos = c['repos']
    if (!Array.isArray(repos) || repos.length === 0) problems.push('"repos" must list at least one remote URL.')
    else if (!repos.every((r) => typeof r === 'string' || (typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>)['url'] === 'string'))) {
      problems.push('Each of "repos" is a URL string or {"url": …, "name": …}.')
    }
    return problems
  }
  if (typeof c['token'] !== 'string' || c['token'] === '') problems.push('"token" is required (an access token of the code host).')
  if ((kind === 'GITEA' || kind === 'BITBUCKETSERVER') && typeof c['url'] !== 'string') problems.push(`"url" is required for ${kindLabels[kind]}.`)
  if (c['url'] !== undefined) {
    try {
      const u = new URL(String(c['url']))
      if (u.protocol !== 'https:' && u.protocol !== 'http:') problems.push('"url" must be http or https.')
    } catch {
      problems.push('"url" is not a URL.')
    }
  }
  for (const field of ['repos', 'orgs']) {
    if (c[field] !== undefined && !isStringList(c[field])) problems.push(`"${field}" must be a list of strings.`)
  }
  if (c['repos'] === undefined && c['orgs'] === undefined && c['query'] === undefined) {
    problems.push('Say which repositories: "repos", "orgs" or "query".')
  }
  return problems
}

/** A random webhook secret (hex), for a connection whose configuration has none. */
export function newWebhookSecret(): string {
  const bytes = new Uint8Array(20)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
