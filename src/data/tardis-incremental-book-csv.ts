/**
 * @module data/tardis-incremental-book-csv
 * Tardis.dev `incremental_book_L2` CSV: `exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount`,
 * one price level per row, `amount` the new absolute size (0 removes the level). Consecutive rows become one
 * BookUpdate: a run of `is_snapshot=true` rows of one market is one snapshot (Tardis' rule: a snapshot starts
 * where `true` follows `false`), stamped with its last row's time; `false` rows with the same
 * `local_timestamp` are one delta. Levels are sorted into the model's order, a repeated price keeps its last
 * size, and a snapshot leaves out zero levels. Times, venue and symbol as in tardis-csv.ts.
 */
import { InputError, type BookUpdate } from '../model/index.js'
import { csvLineArrays } from './csv-lines.js'
import { RowError, checkPositive, fieldError, missingField, textNumber, type ReaderContext } from './reader-context.js'
import { TARDIS_KEY_COLUMNS, TardisMarket, tardisHeader } from './tardis-csv.js'
import { levelGroupUpdate, type LevelGroup } from './level-group.js'

const COLUMNS = [...TARDIS_KEY_COLUMNS, 'is_snapshot', 'side', 'price', 'amount'] as const

interface Row {
  venue: string
  symbol: string
  snapshot: boolean
  timestamp: number
  bid: boolean
  price: number
  amount: number
}

/** A snapshot leaves out zero levels; in a delta they remove the level. */
function toEvent(g: LevelGroup): BookUpdate {
  return levelGroupUpdate(g, g.snapshot)
}

/** Whether `row` continues `g`: the same market and kind, and for a delta the same arrival time. */
function continues(g: LevelGroup, row: Row): boolean {
  return g.symbol === row.symbol && g.venue === row.venue && g.snapshot === row.snapshot && (g.snapshot || g.timestamp === row.timestamp)
}

export async function* readTardisIncrementalBookCsv(ctx: ReaderContext): AsyncGenerator<BookUpdate[], void, undefined> {
  const b = ctx.batcher
  const market = new TardisMarket(ctx)
  const at: number[] = []
  const header = tardisHeader(ctx, COLUMNS, at)
  let lineNo = 0
  let headerSeen = false
  let group: LevelGroup | undefined
  /** Time of the last good row: checked per row, so an early row is named by its own line, not its event's first. */
  let lastTimestamp = Number.NEGATIVE_INFINITY

  const parse = (f: readonly string[]): Row => {
    const { venue, symbol, timestamp } = market.rowKey(f, at, lineNo)
    const flag = f[at[4]!]
    if (flag !== 'true' && flag !== 'false') throw flag === undefined || flag === '' ? missingField('is_snapshot') : fieldError('is_snapshot', 'true or false', flag)
    const side = f[at[5]!]
    if (side !== 'bid' && side !== 'ask') throw side === undefined || side === '' ? missingField('side') : fieldError('side', '"bid" or "ask"', side)
    const price = checkPositive(textNumber(f[at[6]!], 'price'), 'price', f[at[6]!])
    const amount = textNumber(f[at[7]!], 'amount')
    if (amount < 0) throw fieldError('amount', 'a number >= 0', f[at[7]!])
    return { venue, symbol, snapshot: flag === 'true', timestamp, bid: side === 'bid', price, amount }
  }

  for await (const lines of csvLineArrays(ctx.path, ctx.gzip)) {
    for (const line of lines) {
      lineNo++
      if (line.length === 0 || line.trim().length === 0) continue
      if (!headerSeen) {
        headerSeen = header(line, lineNo)
        continue
      }
      ctx.stats.rows++
      let row: Row
      try {
        row = parse(line.split(','))
      } catch (error) {
        if (!(error instanceof RowError)) throw error
        b.bad(lineNo, error.message)
        continue
      }
      if (row.timestamp < lastTimestamp) {
        b.bad(lineNo, `timestamp ${row.timestamp} is earlier than the previous row's ${lastTimestamp} (rows must be in time order)`)
        continue
      }
      lastTimestamp = row.timestamp
      if (group !== undefined && continues(group, row)) {
        group.timestamp = row.timestamp
      } else {
        // Pushed when complete, at its last row's time: a delta's rows share it, a snapshot is whole only then.
        if (group !== undefined && !b.push(toEvent(group), group.line)) {
          if (b.batch.length > 0) yield b.take() as BookUpdate[]
          return
        }
        group = { venue: row.venue, symbol: row.symbol, snapshot: row.snapshot, timestamp: row.timestamp, line: lineNo, bids: new Map(), asks: new Map() }
      }
      ;(row.bid ? group.bids : group.asks).set(row.price, row.amount)
      if (b.full) yield b.take() as BookUpdate[]
    }
  }
  if (!headerSeen) throw new InputError(`${ctx.file}: empty file`)
  if (ctx.stats.rows === 0) throw new InputError(`${ctx.file}: no data rows after the header`)
  if (group !== undefined) b.push(toEvent(group), group.line)
  if (b.batch.length > 0) yield b.take() as BookUpdate[]
}
