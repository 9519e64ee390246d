import { describe, expect, it } from 'vitest'
import { parseRepoPath } from './RepoRoutes'

describe('parseRepoPath', () => {
  it('splits the URLs Lookout emits', () => {
    expect(parseRepoPath('github.com/acme/api/-/commit/0123abc')).toEqual({ repo: 'github.com/acme/api', rev: null, kind: 'commit', rest: '0123abc' })
    expect(parseRepoPath('git.example.com/a/b/c/-/blob/cmd/main.go')).toEqual({ repo: 'git.example.com/a/b/c', rev: null, kind: 'blob', rest: 'cmd/main.go' })
    expect(parseRepoPath('github.com/acme/api/')).toEqual({ repo: 'github.com/acme/api', rev: null, kind: 'repo', rest: '' })
  })
  it('takes the revision after @ (GitBlob.url names the commit)', () => {
    expect(parseRepoPath('local/files@0123abcd/-/blob/docs/a b.md')).toEqual({ repo: 'local/files', rev: '0123abcd', kind: 'blob', rest: 'docs/a b.md' })
    expect(parseRepoPath('github.com/acme/api@feature/x/-/blob/main.go')).toEqual({ repo: 'github.com/acme/api', rev: 'feature/x', kind: 'blob', rest: 'main.go' })
    expect(parseRepoPath('github.com/acme/api@v1')).toEqual({ repo: 'github.com/acme/api', rev: 'v1', kind: 'repo', rest: '' })
  })
  it('rejects unknown pages', () => {
    expect(parseRepoPath('github.com/acme/api/-/tree/x')).toBeNull()
    expect(parseRepoPath('github.com/acme/api/-/commit')).toBeNull()
    expect(parseRepoPath('github.com/acme/api@/-/blob/x')).toBeNull()
    expect(parseRepoPath('')).toBeNull()
  })
})
