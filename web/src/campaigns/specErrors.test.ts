import { describe, expect, it } from 'vitest'
import { specProblems } from './specErrors'

describe('specProblems', () => {
  it('reads the line of YAML syntax errors and unknown fields', () => {
    expect(specProblems('invalid campaign spec: yaml: line 3: mapping values are not allowed in this context')).toEqual([
      { message: 'yaml: line 3: mapping values are not allowed in this context', line: 3 },
    ])
    for (const prefix of ['yaml: ', '']) {
      expect(specProblems(`invalid campaign spec: ${prefix}unmarshal errors:\n  line 5: field stpes not found in type campaigns.Spec`)).toEqual([
        { message: 'line 5: field stpes not found in type campaigns.Spec', line: 5 },
      ])
    }
  })
  it('keeps problems without a line, one each', () => {
    expect(specProblems('invalid campaign spec: on: must list at least one repositoriesMatchingQuery or repository; steps: at least one step')).toEqual([
      { message: 'on: must list at least one repositoriesMatchingQuery or repository' },
      { message: 'steps: at least one step' },
    ])
  })
  it('prefers the problems the API lists in extensions, with their line and key', () => {
    expect(specProblems('invalid campaign spec: x', { problems: [{ message: 'steps[0].run: must not be empty', line: 4, key: 'steps[0].run' }, 'line 9: bad'] })).toEqual([
      { message: 'steps[0].run: must not be empty', line: 4, key: 'steps[0].run' },
      { message: 'line 9: bad', line: 9 },
    ])
  })
})
