import { describe, expect, it } from 'vitest'
import { charCol, utf16Col, utf16FromCharCol } from './positions'

describe('columns', () => {
  // "café 😀 x": é is 2 bytes, 1 UTF-16 unit, 1 character; 😀 is 4 bytes, 2 units, 1 character.
  const line = 'café 😀 x'
  it.each([
    [1, 1],
    [4, 4], // é starts at byte 4
    [6, 5], // the space after é
    [7, 6], // 😀
    [11, 8], // the space after 😀
    [12, 9], // x
    [13, 10], // end of line
    [15, 12], // past the end keeps its distance
  ])('byte column %i is UTF-16 column %i', (b, u) => {
    expect(utf16Col(line, b)).toBe(u)
  })
  it.each([
    [1, 1],
    [6, 6],
    [8, 7], // after 😀 (2 units) comes character 7
    [10, 9],
  ])('UTF-16 column %i is character column %i', (u, c) => {
    expect(charCol(line, u)).toBe(c)
    expect(utf16FromCharCol(line, c)).toBe(u)
  })
})
