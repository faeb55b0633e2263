/**
 * @module data/json-array-scanner
 * Splits a top-level JSON array into its element texts as chunks arrive, tracking bracket depth and string
 * escapes, so each record can be `JSON.parse`d on its own. Memory stays at one record, not one file. A
 * hand-written scanner (about 80 lines, no dependency) beats a streaming-JSON library here: we only need
 * element boundaries, and JSON.parse per record is V8's fastest parser.
 */

/** A structural problem with the array itself (not with one record). */
export class JsonScanError extends Error {}

/** The longest record accepted (a record longer than this is not market data; V8 strings end near 512 MiB). */
const MAX_RECORD_CHARS = 64 * 2 ** 20

const enum State {
  BeforeArray,
  BeforeFirstElement,
  BeforeElement,
  InElement,
  AfterArray,
}

const SPACE = 32
const TAB = 9
const LF = 10
const CR = 13
const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const OPEN_BRACE = 123
const CLOSE_BRACE = 125

/**
 * Inside a nested array or object: a run of characters with no bracket, brace or quote, up to and including the
 * next `]`. Market data rows are such runs (`[1704067200000,40000.5,…]`), and a native regex finds their end far
 * faster than a loop over every character.
 */
const FLAT_TO_CLOSE = /[^"[\]{}]*\]/y

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB
}

export class JsonArrayScanner {
  private state = State.BeforeArray
  private depth = 0
  private inString = false
  private escaped = false
  /** Text of an element that started in an earlier chunk. */
  private partial = ''
  /** Elements completed so far. */
  count = 0

  /** Feeds one chunk; complete element texts are appended to `out`. */
  push(chunk: string, out: string[]): void {
    const n = chunk.length
    let start = -1
    /** The fast path found no `]` ahead in this chunk: do not try it again until a bracket is seen. */
    let flatMiss = false
    for (let i = 0; i < n; i++) {
      let c = chunk.charCodeAt(i)
      switch (this.state) {
        case State.BeforeArray:
          if (isSpace(c) || c === 0xfeff) continue
          if (c !== OPEN_BRACKET) throw new JsonScanError('expected a JSON array starting with "["')
          this.state = State.BeforeFirstElement
          continue
        case State.BeforeFirstElement:
        case State.BeforeElement:
          if (isSpace(c)) continue
          if (c === CLOSE_BRACKET && this.state === State.BeforeFirstElement) {
            this.state = State.AfterArray
            continue
          }
          if (c === COMMA || c === CLOSE_BRACKET) throw new JsonScanError(`record ${this.count + 1}: missing value`)
          this.state = State.InElement
          this.depth = 0
          start = i
          i-- // let InElement see this character
          continue
        case State.InElement: {
          if (start === -1) start = i
          if (this.inString) {
            if (this.escaped) this.escaped = false
            else if (c === BACKSLASH) this.escaped = true
            else if (c === QUOTE) this.inString = false
            continue
          }
          if (this.depth > 0 && !flatMiss && c !== QUOTE && c !== OPEN_BRACKET && c !== OPEN_BRACE && c !== CLOSE_BRACKET && c !== CLOSE_BRACE) {
            FLAT_TO_CLOSE.lastIndex = i
            if (FLAT_TO_CLOSE.test(chunk)) {
              i = FLAT_TO_CLOSE.lastIndex - 1
              c = CLOSE_BRACKET
            } else flatMiss = true
          }
          if (c === QUOTE) this.inString = true
          else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
            this.depth++
            flatMiss = false
          } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
            if (this.depth > 0) this.depth--
            else {
              this.emit(chunk, start, i, out)
              start = -1
              this.state = State.AfterArray
            }
          } else if (c === COMMA && this.depth === 0) {
            this.emit(chunk, start, i, out)
            start = -1
            this.state = State.BeforeElement
          }
          continue
        }
        case State.AfterArray:
          if (isSpace(c)) continue
          throw new JsonScanError('unexpected data after the closing "]"')
      }
    }
    if (this.state === State.InElement && start !== -1) {
      this.partial += chunk.slice(start)
      if (this.partial.length > MAX_RECORD_CHARS) throw new JsonScanError(`record ${this.count + 1} is longer than ${MAX_RECORD_CHARS / 2 ** 20} MiB`)
    }
  }

  /** Call at end of input: throws when the array never closed. */
  end(): void {
    if (this.state === State.BeforeArray) throw new JsonScanError('empty file')
    if (this.state !== State.AfterArray) throw new JsonScanError(`record ${this.count + 1}: file ends inside the array (truncated?)`)
  }

  /** True once the closing bracket has been seen. */
  get closed(): boolean {
    return this.state === State.AfterArray
  }

  private emit(chunk: string, start: number, end: number, out: string[]): void {
    const text = chunk.slice(start, end)
    out.push(this.partial.length > 0 ? this.partial + text : text)
    this.partial = ''
    this.count++
  }
}
