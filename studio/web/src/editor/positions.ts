// The engine counts columns in bytes of UTF-8 (like go/token); Monaco counts
// UTF-16 code units. These convert on one line of text, so an error marker
// sits under the right characters even after an accented name or an emoji.

/** utf16Col converts a 1-based byte column on line to a 1-based UTF-16 column. */
export function utf16Col(line: string, byteCol: number): number {
  if (byteCol <= 1) return 1
  let bytes = 0
  let i = 0
  while (i < line.length) {
    const cp = line.codePointAt(i)!
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (bytes + n > byteCol - 1) break
    bytes += n
    i += cp > 0xffff ? 2 : 1
  }
  if (i < line.length) return i + 1
  // Past the end of the line (an error at the end of input): keep the
  // distance, so the marker stays where the engine put it.
  return i + 1 + (byteCol - 1 - bytes)
}


/** charCol converts a 1-based UTF-16 column on line to a 1-based column counting characters (code points). */
export function charCol(line: string, utf16: number): number {
  let n = 0
  for (const _ of line.slice(0, Math.max(0, utf16 - 1))) n++
  return n + 1
}

/** utf16FromCharCol converts a 1-based column counting characters to a 1-based UTF-16 column. */
export function utf16FromCharCol(line: string, col: number): number {
  let i = 0
  let n = 1
  while (n < col && i < line.length) {
    i += line.codePointAt(i)! > 0xffff ? 2 : 1
    n++
  }
  return i + 1 + (col - n)
}
