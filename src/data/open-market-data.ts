/**
 * @module data/open-market-data
 * The one entry point for recorded market data: `openMarketData(path, options)` checks the file, works out
 * its format, venue, symbol and timeframe (options beat file-name guesses, which beat nothing), and returns
 * a re-iterable `MarketSource` plus the counters it fills while it is read.
 */
import { fileURLToPath } from 'node:url'
import { InputError, timeframeMs, type MarketEvent } from '../model/index.js'
import type { MarketSource } from '../engine/index.js'
import { readBinanceDepthCsv } from './binance-depth-csv.js'
import { readBinanceAggTradesCsv, readBinanceKlinesCsv, readBinanceTradesCsv } from './binance-dump-csv.js'
import { DATA_FORMATS, detectFormat, isDataFormat, isParquet, type DataFormat } from './data-format.js'
import { EventBatcher } from './event-batcher.js'
import { peekText, probeFile } from './file-input.js'
import { hintsFromFileName } from './file-name.js'
import { readKrakenTradesCsv } from './kraken-trades-csv.js'
import { readOhlcvCsv, readOhlcvJson } from './ohlcv.js'
import { detectParquetFormat, readOhlcvParquet, readTradesParquet } from './parquet.js'
import { createReadStats, resetReadStats, type ReadStats } from './read-stats.js'
import type { FormatReader, ReaderContext } from './reader-context.js'
import { readSofiaCsv } from './sofia-csv.js'
import { readTardisBookSnapshotCsv, readTardisQuotesCsv, readTardisTradesCsv } from './tardis-csv.js'
import { readTardisIncrementalBookCsv } from './tardis-incremental-book-csv.js'
import { readCcxtTradesJson, readFreqtradeTradesJson } from './trades-json.js'

/** Events per batch: big enough to amortise the await per batch, small enough to stay in cache. */
export const DEFAULT_BATCH_SIZE = 2048

/** Venue used when neither the options nor the file name say. */
export const UNKNOWN_VENUE = 'unknown'

export interface OpenMarketDataOptions {
  /** Venue stamped on events (default: from the file name, else `unknown`). */
  readonly venue?: string
  /** CCXT symbol (default: from the file name or, for formats that carry it, each row). */
  readonly symbol?: string
  /** Bar timeframe for OHLCV files (default: from the file name, e.g. `_1m_`). */
  readonly timeframe?: string
  /** Skip sniffing and read as this format. */
  readonly format?: DataFormat
  /** Count and skip bad rows instead of failing on the first. */
  readonly skipBadRows?: boolean
  readonly batchSize?: number
  /** Only events with `from <= timestamp` (ms). */
  readonly from?: number
  /** Only events with `timestamp < to` (ms); reading stops at the first later row. */
  readonly to?: number
}

export interface DataFileInfo {
  readonly path: string
  readonly format: DataFormat
  readonly gzip: boolean
  readonly sizeBytes: number
  readonly venue: string
  /** Undefined only for formats whose rows name their own symbol. */
  readonly symbol: string | undefined
  readonly timeframe: string | undefined
}

export interface MarketData {
  /** Re-iterable: each iteration reads the file again from the start (and resets `stats`). */
  readonly source: MarketSource
  readonly info: DataFileInfo
  /** Filled in while `source` is read. */
  readonly stats: ReadStats
}

function readerFor(format: DataFormat): FormatReader {
  switch (format) {
    case 'ohlcv-json':
      return readOhlcvJson
    case 'ohlcv-csv':
      return readOhlcvCsv
    case 'trades-json':
      return readFreqtradeTradesJson
    case 'ccxt-trades-json':
      return readCcxtTradesJson
    case 'kraken-trades-csv':
      return readKrakenTradesCsv
    case 'binance-depth-csv':
      return readBinanceDepthCsv
    case 'sofia-csv':
      return readSofiaCsv
    case 'binance-klines-csv':
      return readBinanceKlinesCsv
    case 'binance-trades-csv':
      return readBinanceTradesCsv
    case 'binance-aggtrades-csv':
      return readBinanceAggTradesCsv
    case 'tardis-trades-csv':
      return readTardisTradesCsv
    case 'tardis-quotes-csv':
      return readTardisQuotesCsv
    case 'tardis-book-snapshot-csv':
      return readTardisBookSnapshotCsv
    case 'tardis-incremental-book-csv':
      return readTardisIncrementalBookCsv
    case 'trades-parquet':
      return readTradesParquet
    case 'ohlcv-parquet':
      return readOhlcvParquet
  }
}

function checkOptions(path: string, o: OpenMarketDataOptions): void {
  if (o.format !== undefined && !isDataFormat(o.format)) {
    throw new InputError(`${path}: unknown format '${String(o.format)}' (one of ${DATA_FORMATS.join(', ')})`)
  }
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize > 0)) {
    throw new InputError(`batchSize must be a positive integer, got ${o.batchSize}`)
  }
  if (o.timeframe !== undefined && timeframeMs(o.timeframe) === undefined) {
    throw new InputError(`bad timeframe '${o.timeframe}' (expected e.g. 1m, 5m, 1h, 1d)`)
  }
  for (const key of ['from', 'to'] as const) {
    const v = o[key]
    if (v !== undefined && !Number.isFinite(v)) throw new InputError(`${key} must be a time in ms, got ${v}`)
  }
  if (o.from !== undefined && o.to !== undefined && o.to < o.from) throw new InputError(`to (${o.to}) is before from (${o.from})`)
}

/**
 * Opens a market-data file. Fails at once (InputError) for a missing or empty file, an unknown format or
 * a bad option; bad rows fail (or are skipped) later, while `source` is read.
 */
export async function openMarketData(path: string | URL, options: OpenMarketDataOptions = {}): Promise<MarketData> {
  const fsPath = typeof path === 'string' ? path : fileURLToPath(path)
  const file = fsPath
  checkOptions(file, options)
  const probe = await probeFile(fsPath)
  const head = await peekText(fsPath, probe.gzip)
  if (head.replace(/^\uFEFF/, '').trim().length === 0) throw new InputError(`${file}: empty file`)
  const format = options.format ?? (isParquet(fsPath, head) ? await detectParquetFormat(fsPath, file) : detectFormat(fsPath, head))
  const hints = hintsFromFileName(fsPath)
  const venue = options.venue ?? hints.venue ?? UNKNOWN_VENUE
  // Tardis rows name their market, and names like `…_BTC-PERPETUAL.csv.gz` would give a wrong guess (BTC/PERPETUAL).
  const symbol = options.symbol ?? (format.startsWith('tardis-') ? undefined : hints.symbol)
  const timeframe = options.timeframe ?? hints.timeframe
  const info: DataFileInfo = { path: file, format, gzip: probe.gzip, sizeBytes: probe.size, venue, symbol, timeframe }
  const stats = createReadStats()
  const read = readerFor(format)
  const source: MarketSource = {
    [Symbol.asyncIterator](): AsyncIterator<readonly MarketEvent[]> {
      resetReadStats(stats)
      const batcher = new EventBatcher({
        file,
        unit: format.endsWith('-json') || format.endsWith('-parquet') ? 'record' : 'line',
        batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
        from: options.from ?? Number.NEGATIVE_INFINITY,
        to: options.to ?? Number.POSITIVE_INFINITY,
        skipBadRows: options.skipBadRows ?? false,
        stats,
      })
      const ctx: ReaderContext = {
        path: fsPath,
        file,
        gzip: probe.gzip,
        venue,
        venueFixed: options.venue !== undefined,
        symbol,
        symbolFixed: options.symbol !== undefined,
        timeframe,
        batcher,
        stats,
      }
      return read(ctx)
    },
  }
  return { source, info, stats }
}

/** Reads a whole source into one array: for tests and small files only. */
export async function collectEvents(source: MarketSource): Promise<MarketEvent[]> {
  const out: MarketEvent[] = []
  for await (const batch of source) for (const e of batch) out.push(e)
  return out
}
