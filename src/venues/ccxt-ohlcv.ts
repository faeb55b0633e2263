/**
 * @module venues/ccxt-ohlcv
 * Candle download through CCXT `fetchOHLCV`, page by page, into the OHLCV JSON the backtester reads
 * (`[[ts, open, high, low, close, volume], …]`). Resumable: an existing file is continued after its last
 * candle, and the file is rewritten (atomically) after every page, so an interrupted download loses at
 * most one page.
 */
import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import type { Exchange } from 'ccxt'
import { InputError, timeframeMs } from '../model/index.js'
import { mapCcxtError } from './ccxt-errors.js'

export type Candle = [number, number, number, number, number, number]

export interface OhlcvDownload {
  readonly exchange: Exchange
  readonly symbol: string
  readonly timeframe: string
  /** First candle open time, ms. */
  readonly since: number
  /** Candles opening before this time, ms (default: now). */
  readonly until?: number
  readonly file: string
  /** Candles per request (default 1000). */
  readonly pageSize?: number
  readonly onPage?: (added: number, last: number) => void
}

export interface OhlcvResult {
  readonly file: string
  readonly candles: number
  readonly added: number
  readonly resumedFrom: number | undefined
  readonly first: number | undefined
  readonly last: number | undefined
}

/** `<exchange>_<BASE>-<QUOTE>_<tf>.json`: the name the readers infer venue, symbol and timeframe from. */
export function ohlcvFileName(exchange: string, symbol: string, timeframe: string): string {
  return `${exchange}_${symbol.replace(/:.*$/, '').replace('/', '-')}_${timeframe}.json`
}

async function readExisting(file: string): Promise<Candle[]> {
  if (!existsSync(file)) return []
  let rows: unknown
  try {
    rows = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new InputError(`${file}: not an OHLCV JSON file (${error instanceof Error ? error.message : String(error)}); move it away to start over`)
  }
  if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && r.length >= 6 && r.every((v) => typeof v === 'number' || v === null))) {
    throw new InputError(`${file}: expected [[ts, open, high, low, close, volume], …]`)
  }
  return rows as Candle[]
}

export async function downloadOhlcv(o: OhlcvDownload): Promise<OhlcvResult> {
  const step = timeframeMs(o.timeframe)
  if (step === undefined) throw new InputError(`--timeframe: bad timeframe '${o.timeframe}'`)
  const until = o.until ?? Date.now()
  const candles = await readExisting(o.file)
  const lastStored = candles.at(-1)?.[0]
  let since = lastStored !== undefined ? Math.max(o.since, lastStored + step) : o.since
  let added = 0
  await o.exchange.loadMarkets()
  while (since < until) {
    let page: Candle[]
    try {
      page = (await o.exchange.fetchOHLCV(o.symbol, o.timeframe, since, o.pageSize ?? 1000)) as Candle[]
    } catch (error) {
      throw mapCcxtError(error, { what: `${o.exchange.id}: fetchOHLCV ${o.symbol} ${o.timeframe} since ${new Date(since).toISOString()}`, secrets: [] })
    }
    const last = candles.at(-1)?.[0] ?? -Infinity
    const fresh = page.filter((c) => c[0] > last && c[0] >= since && c[0] < until).map((c) => c.slice(0, 6).map((v) => v ?? 0) as Candle)
    if (fresh.length === 0) break
    candles.push(...fresh)
    added += fresh.length
    since = fresh.at(-1)![0] + step
    const tmp = `${o.file}.part`
    await writeFile(tmp, `[${candles.map((c) => JSON.stringify(c)).join(',\n')}]\n`)
    await rename(tmp, o.file)
    o.onPage?.(fresh.length, fresh.at(-1)![0])
  }
  if (!existsSync(o.file)) await writeFile(o.file, '[]\n')
  return { file: o.file, candles: candles.length, added, resumedFrom: lastStored, first: candles[0]?.[0], last: candles.at(-1)?.[0] }
}
