import { describe, expect, it } from 'vitest'
import type { Column } from '../api/types'
import { toCSV, toJSON } from './download'

const cols: Column[] = [
  { name: 'name', type: 'STRING' },
  { name: 'n', type: 'BIGINT' },
]
// Newest first, as the results hold them.
const rows = [
  { seq: 1, values: ['a "quoted", text\nwith a line', null] },
  { seq: 0, values: [' padded', 2] },
]

describe('downloads', () => {
  it('writes CSV oldest first with RFC 4180 quoting', () => {
    expect(toCSV(cols, rows)).toBe('name,n\r\n" padded",2\r\n"a ""quoted"", text\nwith a line",\r\n')
  })
  it('writes JSON objects oldest first, NULL as null', () => {
    expect(JSON.parse(toJSON(cols, rows))).toEqual([
      { name: ' padded', n: 2 },
      { name: 'a "quoted", text\nwith a line', n: null },
    ])
  })
  it('writes a header alone when there are no rows', () => {
    expect(toCSV(cols, [])).toBe('name,n\r\n')
    expect(toJSON(cols, [])).toBe('[]\n')
  })
})
