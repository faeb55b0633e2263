/**
 * @module data/kraken-trades-csv
 * Kraken's downloadable "Time & Sales" CSV: no header, `unix_seconds,price,volume`, no id, no side.
 * Seconds may carry decimals; the timestamp is `round(seconds * 1000)` ms.
 */
import { InputError, type TradeTick } from '../model/index.js'
import { csvLineArrays } from './csv-lines.js'
import { RowError, checkPositive, fieldError, pushRow, textNumber, type ReaderContext } from './reader-context.js'

export async function* readKrakenTradesCsv(ctx: ReaderContext): AsyncGenerator<TradeTick[], void, undefined> {
  const symbol = ctx.symbol
  if (symbol === undefined) {
    throw new InputError(`${ctx.file}: cannot tell the symbol from the file name; pass a symbol (e.g. BCH/EUR)`)
  }
  const venue = ctx.venue
  const b = ctx.batcher
  let lineNo = 0
  for await (const lines of csvLineArrays(ctx.path, ctx.gzip)) {
    for (const line of lines) {
      lineNo++
      if (line.trim().length === 0) continue
      ctx.stats.rows++
      const ok = pushRow(b, lineNo, (): TradeTick => {
        const f = line.split(',')
        if (f.length > 3) throw new RowError(`expected 3 fields (unix_seconds,price,volume), got ${f.length}`)
        const seconds = textNumber(f[0], 'time')
        if (!(seconds >= 0)) throw fieldError('time', 'unix seconds', f[0])
        const price = checkPositive(textNumber(f[1], 'price'), 'price', f[1])
        const amount = checkPositive(textNumber(f[2], 'volume'), 'volume', f[2])
        return { kind: 'trade', venue, symbol, timestamp: Math.round(seconds * 1000), price, amount }
      })
      if (!ok) {
        if (b.batch.length > 0) yield b.take() as TradeTick[]
        return
      }
      if (b.full) yield b.take() as TradeTick[]
    }
  }
  if (ctx.stats.rows === 0) throw new InputError(`${ctx.file}: empty file`)
  if (b.batch.length > 0) yield b.take() as TradeTick[]
}
