/**
 * @module data/csv-rows
 * The shared driver for CSV formats with one event per line: an optional or required header, then each data
 * line split on `,` and converted, bad rows reported (or skipped) by the batcher, batches yielded as they fill.
 * Positions in messages are 1-based line numbers.
 */
import { InputError, type MarketEvent } from '../model/index.js'
import { csvLineArrays } from './csv-lines.js'
import { pushRow, type ReaderContext } from './reader-context.js'

/**
 * Sees the first non-blank line and says whether it is a header (then it is not a data row). Throws InputError
 * for a header the format cannot read.
 */
export type CsvHeaderCheck = (line: string, lineNo: number) => boolean

export interface CsvRowReader<E extends MarketEvent> {
  header: CsvHeaderCheck
  /** One data line's fields to one event; throws RowError for a bad row. */
  row(fields: string[], lineNo: number): E
}

export async function* readCsvRows<E extends MarketEvent>(ctx: ReaderContext, reader: CsvRowReader<E>): AsyncGenerator<E[], void, undefined> {
  const b = ctx.batcher
  let lineNo = 0
  let first = true
  let header = false
  for await (const lines of csvLineArrays(ctx.path, ctx.gzip)) {
    for (const line of lines) {
      lineNo++
      if (line.length === 0 || line.trim().length === 0) continue
      if (first) {
        first = false
        header = reader.header(line, lineNo)
        if (header) continue
      }
      ctx.stats.rows++
      const at = lineNo
      if (!pushRow(b, at, () => reader.row(line.split(','), at))) {
        if (b.batch.length > 0) yield b.take() as E[]
        return
      }
      if (b.full) yield b.take() as E[]
    }
  }
  if (ctx.stats.rows === 0) throw new InputError(`${ctx.file}: ${header ? 'no data rows after the header' : 'empty file'}`)
  if (b.batch.length > 0) yield b.take() as E[]
}
