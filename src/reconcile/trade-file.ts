/**
 * @module reconcile/trade-file
 * Reads a file of CCXT unified trades, a JSON array or JSONL (told apart by the first character), streaming
 * either way, in batches. The first bad record stops the read with one line naming the file, the record
 * (line for JSONL, 1-based index for an array) and the field: corrupt input is worse than none.
 */
import { createReadStream } from 'node:fs'
// The scanner is the data package's internal tool; it is exactly the incremental splitter needed here.
import { JsonArrayScanner, JsonScanError } from '../data/json-array-scanner.js'
import { InputError } from '../model/index.js'
import { FieldProblem, ccxtTrade } from './ccxt-trade.js'
import type { TradeRecord } from './trade-record.js'

export interface TradeFileOptions {
  readonly batchSize?: number
  /** How the file is named in messages (default: the path as given). */
  readonly label?: string
}

async function* chunks(path: string): AsyncGenerator<string, void, undefined> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })
  try {
    for await (const chunk of stream) yield chunk as string
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message
    throw new InputError(`cannot read ${path}: ${why}`, { cause: error })
  } finally {
    stream.destroy()
  }
}

function convert(text: string, where: string): TradeRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InputError(`${where}: not valid JSON`)
  }
  try {
    return ccxtTrade(value)
  } catch (error) {
    if (error instanceof FieldProblem) throw new InputError(`${where}: ${error.message}`)
    throw error
  }
}

/** The trades of a CCXT trades file, in batches. An empty file (or `[]`) is an InputError: `no trades in FILE`. */
export async function* readTradeFile(path: string, options: TradeFileOptions = {}): AsyncGenerator<TradeRecord[], void, undefined> {
  const file = options.label ?? path
  const batchSize = options.batchSize ?? 4096
  let batch: TradeRecord[] = []
  let count = 0
  let mode: 'unknown' | 'array' | 'lines' = 'unknown'
  const scanner = new JsonArrayScanner()
  const texts: string[] = []
  let carry = ''
  let line = 0
  for await (let chunk of chunks(path)) {
    if (mode === 'unknown') {
      const start = chunk.search(/[^\s\uFEFF]/)
      if (start === -1) continue
      mode = chunk[start] === '[' ? 'array' : 'lines'
      if (mode === 'lines') chunk = chunk.slice(chunk.charCodeAt(0) === 0xfeff ? 1 : 0)
    }
    if (mode === 'array') {
      try {
        scanner.push(chunk, texts)
      } catch (error) {
        if (!(error instanceof JsonScanError)) throw error
        // Records before the fault still get checked first, so the earliest problem is the one named.
        for (const text of texts) convert(text, `${file}: record ${++count}`)
        throw new InputError(`${file}: ${error.message}`)
      }
      for (const text of texts) {
        batch.push(convert(text, `${file}: record ${++count}`))
        if (batch.length >= batchSize) {
          yield batch
          batch = []
        }
      }
      texts.length = 0
      continue
    }
    const text = carry + chunk
    let from = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      line++
      const row = text.slice(from, nl)
      from = nl + 1
      if (row.trim() === '') continue
      batch.push(convert(row, `${file}:${line}`))
      count++
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    }
    carry = text.slice(from)
  }
  if (mode === 'array') {
    try {
      scanner.end()
    } catch (error) {
      if (!(error instanceof JsonScanError)) throw error
      throw new InputError(`${file}: ${error.message}`)
    }
  } else if (carry.trim() !== '') {
    batch.push(convert(carry, `${file}:${line + 1}`))
    count++
  }
  if (count === 0) throw new InputError(`no trades in ${file}`)
  if (batch.length > 0) yield batch
}
