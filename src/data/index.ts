/**
 * @module data
 * Market data: streaming file readers behind one entry point (`openMarketData`), Sofia's CSV format and its
 * writer, merging sources by time, trade-to-bar aggregation, the seeded synthetic market, and instrument
 * inference for files without metadata.
 */
export { openMarketData, collectEvents, DEFAULT_BATCH_SIZE, UNKNOWN_VENUE } from './open-market-data.js'
export type { OpenMarketDataOptions, DataFileInfo, MarketData } from './open-market-data.js'
export { DATA_FORMATS, isDataFormat, isCandleFormat, detectFormat } from './data-format.js'
export type { DataFormat } from './data-format.js'
export { MAX_BAD_ROW_MESSAGES } from './read-stats.js'
export type { ReadStats } from './read-stats.js'
export { hintsFromFileName, normalizeSymbol } from './file-name.js'
export type { FileNameHints } from './file-name.js'
export { SOFIA_CSV_COLUMNS, SOFIA_CSV_HEADER, parseDecimal } from './sofia-csv.js'
export { SofiaCsvWriter, writeSofiaCsv, sofiaCsvRow } from './sofia-csv-writer.js'
export type { WriteResult } from './sofia-csv-writer.js'
export { mergeSources } from './merge-sources.js'
export { BarBuilder } from './bar-builder.js'
export {
  SyntheticMarket,
  syntheticSource,
  syntheticInstruments,
  syntheticBalances,
  DEFAULT_SYNTHETIC_SYMBOLS,
  DEFAULT_SYNTHETIC_VENUES,
  DEFAULT_SYNTHETIC_START,
} from './synthetic-market.js'
export type { SyntheticMarketOptions, SyntheticSymbol } from './synthetic-market.js'
export { inferInstrument, observedDecimals, decimalsOf, MAX_PRICE_DECIMALS, MAX_AMOUNT_DECIMALS } from './infer-instrument.js'
export type { InferInstrumentOptions } from './infer-instrument.js'
export { benchmarkRead } from './read-benchmark.js'
export type { ReadBenchmark } from './read-benchmark.js'
