/**
 * @module data/json-number-row
 * Reads a JSON array of plain numbers (`[1704067200000,40000.5,40010,39990.25,40001,12.5]`, the rows of an OHLCV
 * file) straight from its text into a reused Float64Array: no `JSON.parse`, no array, no string per number.
 * It only takes the shape it is sure of and says no to anything else (`null`, strings, exponents, more than 15
 * digits, too many or too few values, bad JSON), so the caller's `JSON.parse` path still handles, and reports,
 * every other row exactly as before.
 *
 * Why the numbers are the ones `JSON.parse` gives: a number of at most 15 digits is an integer m < 2^53 over
 * 10^f with f ≤ 15, both exact in a double, and IEEE division rounds their exact quotient correctly, which is
 * what V8's parser returns for the decimal text too.
 */

const SPACE = 32
const TAB = 9
const LF = 10
const CR = 13
const COMMA = 44
const MINUS = 45
const DOT = 46
const ZERO = 48
const NINE = 57
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93

/** Digits taken in one number: 10^15 − 1 < 2^53, so the integer of the digits is exact. */
const MAX_DIGITS = 15

const POW10: readonly number[] = Array.from({ length: MAX_DIGITS + 1 }, (_, i) => 10 ** i)

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB
}

/**
 * Fills `out` from `text` when it is a JSON array of exactly `out.length` numbers in plain notation; false
 * otherwise (then `out` holds nothing meaningful and the caller parses the text the general way).
 * Every read is bounds-checked (-1 past the end): a `charCodeAt` past the end returns NaN, which makes V8 take
 * a slower, generic path for every read.
 */
export function readNumberRow(text: string, out: Float64Array): boolean {
  const n = text.length
  let i = 0
  let c = n > 0 ? text.charCodeAt(0) : -1
  while (isSpace(c)) c = ++i < n ? text.charCodeAt(i) : -1
  if (c !== OPEN_BRACKET) return false
  const want = out.length
  for (let k = 0; k < want; k++) {
    c = ++i < n ? text.charCodeAt(i) : -1 // past '[' or ','
    while (isSpace(c)) c = ++i < n ? text.charCodeAt(i) : -1
    const negative = c === MINUS
    if (negative) c = ++i < n ? text.charCodeAt(i) : -1
    if (c < ZERO || c > NINE) return false
    const first = c
    let mantissa = 0
    let digits = 0
    let fraction = 0
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO)
      digits++
      c = ++i < n ? text.charCodeAt(i) : -1
    }
    // JSON allows no leading zero: "0" alone, or "0." then digits.
    if (first === ZERO && digits > 1) return false
    if (c === DOT) {
      c = ++i < n ? text.charCodeAt(i) : -1
      if (c < ZERO || c > NINE) return false
      while (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO)
        digits++
        fraction++
        c = ++i < n ? text.charCodeAt(i) : -1
      }
    }
    if (digits > MAX_DIGITS) return false
    const value = fraction === 0 ? mantissa : mantissa / POW10[fraction]!
    out[k] = negative ? -value : value
    while (isSpace(c)) c = ++i < n ? text.charCodeAt(i) : -1
    if (c !== (k + 1 < want ? COMMA : CLOSE_BRACKET)) return false // also an exponent, or a value too many or too few
  }
  c = ++i < n ? text.charCodeAt(i) : -1
  while (isSpace(c)) c = ++i < n ? text.charCodeAt(i) : -1
  return i >= n
}
