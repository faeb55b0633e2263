/**
 * @module data/json-records
 * The shared driver for JSON-array formats: scan records incrementally, parse each on its own, convert,
 * batch. Positions in messages are 1-based record numbers.
 */
import { InputError, type MarketEvent } from '../model/index.js'
import { textChunks } from './file-input.js'
import { JsonArrayScanner, JsonScanError } from './json-array-scanner.js'
import { RowError, pushRow, type ReaderContext } from './reader-context.js'

/**
 * Reads a record's text straight into its event when the record has the plain shape it knows (may throw
 * RowError like `convert`); undefined hands the record to `JSON.parse` and `convert`, which see every other one.
 */
export type FastRecord = (text: string) => MarketEvent | undefined

export async function* readJsonRecords(
  ctx: ReaderContext,
  convert: (value: unknown) => MarketEvent,
  fast?: FastRecord,
): AsyncGenerator<MarketEvent[], void, undefined> {
  const scanner = new JsonArrayScanner()
  const b = ctx.batcher
  const stats = ctx.stats
  const texts: string[] = []
  let index = 0
  for await (const chunk of textChunks(ctx.path, ctx.gzip)) {
    let scanError: JsonScanError | undefined
    try {
      scanner.push(chunk, texts)
    } catch (error) {
      if (!(error instanceof JsonScanError)) throw error
      scanError = error
    }
    for (const text of texts) {
      index++
      stats.rows++
      if (fast !== undefined) {
        let event: MarketEvent | undefined
        try {
          event = fast(text)
        } catch (error) {
          if (!(error instanceof RowError)) throw error
          b.bad(index, error.message)
          continue
        }
        if (event !== undefined) {
          if (!b.push(event, index)) {
            if (b.batch.length > 0) yield b.take()
            return
          }
          if (b.full) yield b.take()
          continue
        }
      }
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (error) {
        b.bad(index, `not valid JSON (${(error as Error).message})`)
        continue
      }
      if (!pushRow(b, index, () => convert(value))) {
        if (b.batch.length > 0) yield b.take()
        return
      }
      if (b.full) yield b.take()
    }
    texts.length = 0
    if (scanError) throw new InputError(`${ctx.file}: ${scanError.message}`)
  }
  try {
    scanner.end()
  } catch (error) {
    if (!(error instanceof JsonScanError)) throw error
    throw new InputError(`${ctx.file}: ${error.message}`)
  }
  if (index === 0) throw new InputError(`${ctx.file}: no records (empty array)`)
  if (b.batch.length > 0) yield b.take()
}
