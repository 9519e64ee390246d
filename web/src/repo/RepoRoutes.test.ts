import { describe, expect, it } from 'vitest'
import { parseRepoPath } from './RepoRoutes'

describe('parseRepoPath', () => {
  it('splits the URLs Lookout emits', () => {
    expect(parseRepoPath('github.com/acme/api/-/commit/0123abc')).toEqual({ repo: 'github.com/acme/api', kind: 'commit', rest: '0123abc' })
    expect(parseRepoPath('git.example.com/a/b/c/-/blob/cmd/main.go')).toEqual({ repo: 'git.example.com/a/b/c', kind: 'blob', rest: 'cmd/main.go' })
    expect(parseRepoPath('github.com/acme/api/')).toEqual({ repo: 'github.com/acme/api', kind: 'repo', rest: '' })
  })
  it('rejects unknown pages', () => {
    expect(parseRepoPath('github.com/acme/api/-/tree/x')).toBeNull()
    expect(parseRepoPath('github.com/acme/api/-/commit')).toBeNull()
    expect(parseRepoPath('')).toBeNull()
  })
})
