import { describe, expect, it } from 'vitest'
import { captureGroupChecks, createLineInput, newModel, parseRepositories, problems, scopeInput, scopeQuery } from './definition'

describe('captureGroupChecks', () => {
  const failed = (q: string) => captureGroupChecks(q).filter((c) => c.ok === false).map((c) => c.id)
  it('is unchecked for an empty query', () => {
    expect(captureGroupChecks('').every((c) => c.ok === null)).toBe(true)
  })
  it('passes a regexp with a capture group', () => {
    expect(failed('file:go\\.mod$ /go (\\d+\\.\\d+)/')).toEqual([])
    expect(failed('patterntype:regexp version (\\d+)')).toEqual([])
  })
  it('fails what the API refuses or miscounts', () => {
    expect(failed('go 1.21')).toEqual(['group'])
    expect(failed('/go (?:\\d+)/')).toEqual(['group'])
    expect(failed('/a (b)/ OR /c (d)/')).toEqual(['bool'])
    expect(failed('repo:foo /a (b)/')).toEqual(['repo'])
    expect(failed('type:diff /a (b)/')).toEqual(['type'])
    expect(failed('patterntype:literal /a (b)/')).toEqual(['pattern'])
  })
})

describe('problems', () => {
  it('names each field at fault', () => {
    const m = newModel('search')
    m.scope.mode = 'list'
    m.interval = 0
    expect(problems(m).map((p) => p.field)).toEqual(['title', 'scope', 'interval', 'series.0.query', 'series.0.label'])
  })
  it('needs a repository list for group-by and language insights', () => {
    const m = newModel('group-results')
    m.title = 't'
    m.scope.mode = 'all'
    m.series = [{ query: 'x', label: '', color: '#000000' }]
    expect(problems(m).map((p) => p.message)).toContain('This kind of insight needs a list of repositories.')
    m.scope = { ...m.scope, mode: 'list', repositories: ['a'] }
    m.groupBy = 'AUTHOR'
    expect(problems(m).map((p) => p.field)).toEqual(['series.0.query'])
  })
  it('accepts a complete search insight', () => {
    const m = newModel('search')
    m.title = 'TODOs'
    m.series = [{ label: 'todo', query: 'TODO', color: '#ff0000' }]
    expect(problems(m)).toEqual([])
  })
})

describe('inputs', () => {
  it('turns scopes into the API scope and a query', () => {
    expect(scopeInput({ mode: 'list', repositories: ['a/b'], criteria: '', context: '' })).toEqual({ repositories: ['a/b'] })
    expect(scopeInput({ mode: 'context', repositories: [], criteria: '', context: 'acme' })).toEqual({ repositories: [], repositoryCriteria: 'context:acme' })
    expect(scopeQuery({ mode: 'list', repositories: ['github.com/a/b.c', 'x'], criteria: '', context: '' })).toBe('repo:^(github\\.com\\/a\\/b\\.c|x)$')
  })
  it('sends capture-group series as such', () => {
    const m = newModel('capture-group')
    m.title = 'Go versions'
    m.series = [{ label: '', query: '/go (\\d+)/', color: '#123456' }]
    const input = createLineInput(m, ['d1'])
    expect(input.dataSeries[0]).toMatchObject({ generatedFromCaptureGroups: true, options: { label: 'Go versions', lineColor: '#123456' } })
    expect(input.timeScope).toEqual({ stepInterval: { unit: 'MONTH', value: 1 } })
    expect(input.dashboards).toEqual(['d1'])
  })
  it('splits a typed repository list', () => {
    expect(parseRepositories(' a/b, c/d\n a/b  e ')).toEqual(['a/b', 'c/d', 'e'])
  })
})
