import { describe, expect, it } from 'vitest'
import { JsonArrayScanner, JsonScanError } from './json-array-scanner.js'

function scan(chunks: string[]): string[] {
  const s = new JsonArrayScanner()
  const out: string[] = []
  for (const c of chunks) s.push(c, out)
  s.end()
  return out
}

const TEXT = ' [ [1, "a,]\\"[", null], {"k": [2, {"x": "}"}]}, 3 ,"s\\\\" ]\n'
const ELEMENTS = [[1, 'a,]"[', null], { k: [2, { x: '}' }] }, 3, 's\\']

describe('JsonArrayScanner', () => {
  it('splits top-level elements, respecting strings and escapes', () => {
    expect(scan([TEXT]).map((t) => JSON.parse(t) as unknown)).toEqual(ELEMENTS)
  })

  it('gives the same elements wherever the input is cut into chunks', () => {
    for (let i = 0; i <= TEXT.length; i++) {
      for (let j = i; j <= TEXT.length; j += 3) {
        const parts = scan([TEXT.slice(0, i), TEXT.slice(i, j), TEXT.slice(j)])
        expect(parts.map((t) => JSON.parse(t) as unknown)).toEqual(ELEMENTS)
      }
    }
  })

  it.each([
    ['{"a": 1}', 'expected a JSON array starting with "["'],
    ['[1,,2]', 'record 2: missing value'],
    ['[1] x', 'unexpected data after the closing "]"'],
    ['[1, [2', 'record 2: file ends inside the array (truncated?)'],
    ['  ', 'empty file'],
  ])('rejects %j', (text, message) => {
    expect(() => scan([text])).toThrow(new JsonScanError(message))
  })

  it('accepts an empty array', () => {
    expect(scan(['[', ' ]'])).toEqual([])
  })

  it('splits the same whatever the chunking, with brackets in strings, nested rows and a long flat array across chunks', () => {
    const records = [
      JSON.stringify(Array.from({ length: 20_000 }, (_, i) => i * 1.5)),
      JSON.stringify({ a: '[]]{"', b: [1, [2, [3]], { c: ']' }] }),
      JSON.stringify(['x\\"]', 1, ']']),
      '[1,2]',
      '{"p":[[1,2],[3,4]]}',
      '"]"',
      '5',
      '[1704067200000,40000.5,40012.3,39990.1,40005.5,null]',
    ]
    const text = `[${records.join(',')}]`
    for (const size of [1, 2, 3, 7, 64, 1000, 65_536]) {
      const scanner = new JsonArrayScanner()
      const out: string[] = []
      for (let i = 0; i < text.length; i += size) scanner.push(text.slice(i, i + size), out)
      scanner.end()
      expect(out, `chunks of ${size}`).toEqual(records)
    }
  })
})

