import { describe, expect, it } from 'vitest'
import { fileLines } from './BlobPage'

describe('fileLines', () => {
  it('numbers lines as an editor does', () => {
    expect(fileLines('')).toEqual([])
    expect(fileLines('one\n')).toEqual(['one'])
    expect(fileLines('one\ntwo')).toEqual(['one', 'two'])
    expect(fileLines('one\n\n')).toEqual(['one', ''])
    expect(fileLines('\n')).toEqual([''])
  })
})
