/**
 * @module data/binance-depth-csv
 * Binance historical order-book CSV (data.binance.vision `*_depth_snap.csv` / `*_depth_update.csv`):
 * header `symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu`, one level per row.
 * Consecutive rows of one exchange event (same timestamp, last_update_id and update_type) become one
 * `BookUpdate`: `snap` → a snapshot, `set` → a delta (qty 0 deletes the level). Levels are sorted into
 * the model's order (bids descending, asks ascending) because the file does not promise it. A price that
 * repeats within one event keeps its last size (levels are set absolutely, so applying rows in order means
 * the last one wins; real files do repeat levels).
 */
import { InputError, type BookUpdate } from '../model/index.js'
import { csvLineArrays } from './csv-lines.js'
import { headerColumns } from './data-format.js'
import { normalizeSymbol } from './file-name.js'
import { levelGroupUpdate, type LevelGroup } from './level-group.js'
import { RowError, checkPositive, fieldError, missingField, textNumber, textTimestamp, type ReaderContext } from './reader-context.js'

const COLUMNS = ['symbol', 'timestamp', 'last_update_id', 'side', 'update_type', 'price', 'qty'] as const

/** The rows of one exchange event: the same `key` (raw symbol, timestamp, last_update_id, update_type). */
interface Group extends LevelGroup {
  key: string
}

export async function* readBinanceDepthCsv(ctx: ReaderContext): AsyncGenerator<BookUpdate[], void, undefined> {
  const b = ctx.batcher
  let lineNo = 0
  let idx: number[] | undefined
  let group: Group | undefined
  const symbols = new Map<string, string>()
  /** Pushes the finished group, every level as the file gives it; false when past `to`. */
  const close = (g: Group): boolean => b.push(levelGroupUpdate(g, false), g.line)

  for await (const lines of csvLineArrays(ctx.path, ctx.gzip)) {
    for (const line of lines) {
      lineNo++
      if (idx === undefined) {
        const names = headerColumns(line)
        idx = COLUMNS.map((c) => names.indexOf(c))
        const missing = COLUMNS.filter((_, i) => idx![i] === -1)
        if (missing.length > 0) throw new InputError(`${ctx.file}:1: header lacks column(s) ${missing.join(', ')}`)
        continue
      }
      if (line.trim().length === 0) continue
      ctx.stats.rows++
      const f = line.split(',')
      const at = (i: number): string | undefined => f[idx![i]!]
      let row: { key: string; symbol: string; ts: number; snapshot: boolean; bid: boolean; price: number; qty: number }
      try {
        const rawSymbol = at(0)
        if (rawSymbol === undefined || rawSymbol === '') throw missingField('symbol')
        let symbol = ctx.symbolFixed && ctx.symbol !== undefined ? ctx.symbol : symbols.get(rawSymbol)
        if (symbol === undefined) {
          symbol = normalizeSymbol(rawSymbol)
          symbols.set(rawSymbol, symbol)
        }
        const ts = textTimestamp(at(1), 'timestamp')
        const updateId = at(2)
        if (updateId === undefined || updateId === '') throw missingField('last_update_id')
        const s = at(3)
        if (s !== 'b' && s !== 'a') throw s === undefined ? missingField('side') : fieldError('side', '"b" or "a"', s)
        const type = at(4)
        if (type !== 'snap' && type !== 'set') throw type === undefined ? missingField('update_type') : fieldError('update_type', '"snap" or "set"', type)
        const price = checkPositive(textNumber(at(5), 'price'), 'price', at(5))
        const qty = textNumber(at(6), 'qty')
        if (qty < 0) throw fieldError('qty', 'a number >= 0', at(6))
        row = { key: `${rawSymbol}|${ts}|${updateId}|${type}`, symbol, ts, snapshot: type === 'snap', bid: s === 'b', price, qty }
      } catch (error) {
        if (!(error instanceof RowError)) throw error
        b.bad(lineNo, error.message)
        continue
      }
      if (group === undefined || group.key !== row.key) {
        if (group !== undefined && !close(group)) {
          if (b.batch.length > 0) yield b.take() as BookUpdate[]
          return
        }
        group = { key: row.key, line: lineNo, venue: ctx.venue, symbol: row.symbol, timestamp: row.ts, snapshot: row.snapshot, bids: new Map(), asks: new Map() }
      }
      ;(row.bid ? group.bids : group.asks).set(row.price, row.qty)
      if (b.full) yield b.take() as BookUpdate[]
    }
  }
  if (idx === undefined) throw new InputError(`${ctx.file}: empty file`)
  if (ctx.stats.rows === 0) throw new InputError(`${ctx.file}: no data rows after the header`)
  if (group !== undefined) close(group)
  if (b.batch.length > 0) yield b.take() as BookUpdate[]
}
