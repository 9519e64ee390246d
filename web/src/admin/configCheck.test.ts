import { describe, expect, it } from 'vitest'
import { checkConfig, exampleConfigs, newWebhookSecret } from './configCheck'

describe('checkConfig', () => {
  it('points at a JSON syntax error where the parser names its position', () => {
    const [problem] = checkConfig('GIT', '{\n  "repos" ["a"]}')
    expect(problem).toMatch(/^Not valid JSON \(line 2, column 11\)/)
    expect(checkConfig('GIT', '{"repos": ["a",]}')[0]).toMatch(/^Not valid JSON/)
  })
  it('wants repositories for a GIT connection', () => {
    expect(checkConfig('GIT', '{"repos": []}')).toEqual(['"repos" must list at least one remote URL.'])
    expect(checkConfig('GIT', '{"repos": ["/srv/git/a", {"url": "https://x/b.git", "name": "b"}]}')).toEqual([])
  })
  it('wants a token, a url where there is no default host, and a repository selection', () => {
    expect(checkConfig('GITEA', '{}')).toEqual([
      '"token" is required (an access token of the code host).',
      '"url" is required for Gitea.',
      'Say which repositories: "repos", "orgs" or "query".',
    ])
    expect(checkConfig('GITHUB', '{"token": "t", "orgs": "acme"}')).toEqual(['"orgs" must be a list of strings.'])
  })
  it('accepts the examples once filled in', () => {
    expect(checkConfig('GITHUB', exampleConfigs.GITHUB)).toEqual([])
    expect(checkConfig('GITEA', exampleConfigs.GITEA)).toEqual([])
  })
  it('makes distinct 40-character hex secrets', () => {
    const a = newWebhookSecret()
    expect(a).toMatch(/^[0-9a-f]{40}$/)
    expect(newWebhookSecret()).not.toBe(a)
  })
})
