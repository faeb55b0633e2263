// The plain-number row reader: the same numbers as JSON.parse, or a "no" that leaves the row to JSON.parse.
import { describe, expect, it } from 'vitest'
import { Prng } from '../engine/index.js'
import { readNumberRow } from './json-number-row.js'

function read(text: string, width = 6): number[] | undefined {
  const out = new Float64Array(width)
  return readNumberRow(text, out) ? [...out] : undefined
}

describe('readNumberRow', () => {
  it.each([
    ['[1704067200000,40000.5,40010,39990.25,40001,12.5]'],
    [' [ 1704067200000 , 0.1 , 0.2 , 0.3 , 1 , 5 ] \n'],
    ['[\n0,\t-0,\r-1.5,123456789012345,0.00000000000001,999999999999999]'],
    ['[1,2,3,4,5,6]  '],
  ])('reads %j exactly as JSON.parse does', (text) => {
    const got = read(text)
    expect(got).toBeDefined()
    const want = JSON.parse(text) as number[]
    got!.forEach((v, i) => expect(Object.is(v, want[i])).toBe(true))
  })

  it.each([
    ['[1,2,3,4,5,null]', 'a null'],
    ['[1,2,3,4,5,"6"]', 'a string'],
    ['[1,2,3,4,5]', 'a value too few'],
    ['[1,2,3,4,5,6,7]', 'a value too many'],
    ['[1,2,3,4,5,6e2]', 'an exponent'],
    ['[1,2,3,4,5,1234567890123456]', 'more than 15 digits'],
    ['[1,2,3,4,5,01]', 'a leading zero'],
    ['[1,2,3,4,5,1.]', 'a dot without digits'],
    ['[1,2,3,4,5,.5]', 'no digit before the dot'],
    ['[1,2,3,4,5,+5]', 'a plus sign'],
    ['[1,2,3,4,5,-]', 'a lone minus'],
    ['[1,2,3,4,5,6]x', 'text after the row'],
    ['[1,2,3,4,5,6', 'no closing bracket'],
    ['{"a":1}', 'an object'],
    ['', 'nothing'],
  ])('says no to %j (%s)', (text) => {
    expect(read(text)).toBeUndefined()
  })

  it('agrees with JSON.parse on seeded prices, amounts and timestamps of every length it takes', () => {
    const rng = new Prng(16)
    for (let run = 0; run < 20_000; run++) {
      const values: string[] = []
      for (let k = 0; k < 6; k++) {
        const intDigits = 1 + Math.floor(rng.next() * 13)
        const fracDigits = Math.floor(rng.next() * (16 - intDigits))
        const digit = (): number => Math.floor(rng.next() * 10)
        let text = String(1 + Math.floor(rng.next() * 9))
        for (let d = 1; d < intDigits; d++) text += String(digit())
        if (rng.next() < 0.1) text = '0'
        if (fracDigits > 0 && text.length + fracDigits <= 15) {
          text += '.'
          for (let d = 0; d < fracDigits; d++) text += String(digit())
        }
        values.push(rng.next() < 0.1 ? `-${text}` : text)
      }
      const text = `[${values.join(',')}]`
      const got = read(text)
      expect(got, text).toEqual(JSON.parse(text))
    }
  })
})
