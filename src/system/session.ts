/**
 * @module system/session
 * Builds a trading session from user-level options: the market source (recorded files or the synthetic
 * market), the instruments and starting balances per venue, and the strategies. Shared by `sofia backtest`
 * (simulated clock) and `sofia paper` (wall clock).
 */
import type { MarketSource } from '../engine/index.js'
import {
  DEFAULT_SYNTHETIC_VENUES,
  inferInstrument,
  isCandleFormat,
  mergeSources,
  openMarketData,
  syntheticBalances,
  syntheticInstruments,
  syntheticSource,
} from '../data/index.js'
import type { DataFormat, MarketData } from '../data/index.js'
import type { Instrument, MarketEvent } from '../model/index.js'
import { InputError, dec } from '../model/index.js'
import type { Strategy } from '../strategy/index.js'
import { createStrategy, instantiateStrategy, strategyParamNames } from '../strategy/index.js'
import type { StrategySpec, VenueSetup } from './session-config.js'
export type { StrategySpec } from './session-config.js'

/** The data argument that selects the built-in synthetic market instead of files. */
export const SYNTHETIC = 'synthetic'

/** Events inferred instruments are sized from: the first this many of each file, whatever its batches. */
const SAMPLE_EVENTS = 5_000

/**
 * Events a batch of one file holds when several files are merged. Smaller than a lone file's batches: each
 * file's batch waits while the others' events are merged in, and ten files of 2,048-event batches kept
 * enough alive to double the garbage collector's work (ten symbols × a year of 5m bars: 18% faster at 256).
 */
const MERGED_FILE_BATCH = 256

/** Default quote balance per venue for recorded data in a dollar-like or fiat quote (`--balance ASSET=AMOUNT`). */
export const DEFAULT_QUOTE_BALANCE = '10000'

/** Crypto quotes, at an amount of roughly the same order as 10,000 dollars in most years of data. */
const CRYPTO_QUOTE_BALANCE: Readonly<Record<string, string>> = { BTC: '1', ETH: '10', BNB: '50' }

/**
 * The default starting balance of a quote currency for recorded data: 1 BTC, 10 ETH, 50 BNB (not 10,000 BTC);
 * 10,000 of any other quote (USDT, USD, EUR, …). `--balance ASSET=AMOUNT` overrides it.
 */
export function defaultQuoteBalance(quote: string): string {
  return CRYPTO_QUOTE_BALANCE[quote] ?? DEFAULT_QUOTE_BALANCE
}

export interface MarketOptions {
  readonly data: readonly string[]
  readonly venue?: string
  readonly symbol?: string
  /** Read every file as this format instead of detecting it. */
  readonly format?: DataFormat
  readonly from?: number
  readonly to?: number
  readonly skipBadRows?: boolean
  readonly seed?: number
  /** Synthetic market: number of events (simulated time) — ignored when paced. */
  readonly syntheticEvents?: number
  readonly syntheticStepMs?: number
  /** Synthetic market on the wall clock until the signal aborts. */
  readonly paced?: boolean
  readonly signal?: AbortSignal
  /** Starting balances applied on every venue, overriding the defaults. */
  readonly balances?: Readonly<Record<string, string>>
}

export interface MarketSetup {
  readonly source: MarketSource
  readonly venues: readonly VenueSetup[]
  readonly reportingCurrency: string
  /** Recorded files with their read counters (empty for the synthetic market). */
  readonly files: readonly MarketData[]
}

export async function openMarket(options: MarketOptions): Promise<MarketSetup> {
  if (options.data.length === 0) throw new InputError('no data: give --data PATH (or --data synthetic)')
  if (options.data.includes(SYNTHETIC)) {
    if (options.data.length > 1) throw new InputError(`--data ${SYNTHETIC} cannot be combined with files`)
    return syntheticMarket(options)
  }
  const files: MarketData[] = []
  const instruments = new Map<string, Map<string, Instrument>>()
  for (const path of options.data) {
    const md = await openMarketData(path, {
      ...(options.venue !== undefined ? { venue: options.venue } : {}),
      ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
      ...(options.format !== undefined ? { format: options.format } : {}),
      ...(options.from !== undefined ? { from: options.from } : {}),
      ...(options.to !== undefined ? { to: options.to } : {}),
      ...(options.skipBadRows !== undefined ? { skipBadRows: options.skipBadRows } : {}),
      ...(options.data.length > 1 ? { batchSize: MERGED_FILE_BATCH } : {}),
    })
    files.push(md)
    const sample = await sampleEvents(md.source)
    if (sample.length === 0) throw new InputError(`${path}: no market events${options.from !== undefined || options.to !== undefined ? ' in the --from/--to range' : ''}`)
    const funding = sample.find((e) => e.kind === 'bar' && e.high === 0 && e.low === 0 && e.close === 0)
    if (funding !== undefined) {
      throw new InputError(
        `${path}: funding-rate rows ([time, rate, 0, 0, 0, 0], first at ${new Date(funding.timestamp).toISOString()}), not prices: trade on candles or trades of the market`,
      )
    }
    const bySymbol = new Map<string, MarketEvent[]>()
    for (const e of sample) {
      const list = bySymbol.get(e.symbol) ?? []
      list.push(e)
      bySymbol.set(e.symbol, list)
    }
    for (const [symbol, events] of bySymbol) {
      const venue = events[0]!.venue
      const perVenue = instruments.get(venue) ?? new Map<string, Instrument>()
      if (!perVenue.has(symbol)) perVenue.set(symbol, inferInstrument({ symbol }, events))
      instruments.set(venue, perVenue)
    }
  }
  const firstInstrument = [...instruments.values()][0]!.values().next().value!
  const venues: VenueSetup[] = [...instruments].map(([id, bySymbol]) => {
    const balances: Record<string, string> = {}
    for (const inst of bySymbol.values()) balances[inst.quote] ??= defaultQuoteBalance(inst.quote)
    return { id, instruments: [...bySymbol.values()], balances: { ...balances, ...validBalances(options.balances) } }
  })
  const sources = files.map((f) => f.source)
  return {
    source: sources.length === 1 ? sources[0]! : mergeSources(sources),
    venues,
    reportingCurrency: firstInstrument.quote,
    files,
  }
}

function syntheticMarket(options: MarketOptions): MarketSetup {
  const instruments = syntheticInstruments()
  const balances = syntheticBalances()
  const source = syntheticSource({
    seed: options.seed ?? 1,
    ...(options.paced === true
      ? { paced: true, ...(options.signal !== undefined ? { signal: options.signal } : {}) }
      : { count: options.syntheticEvents ?? 200_000 }),
    ...(options.syntheticStepMs !== undefined ? { stepMs: options.syntheticStepMs } : {}),
  })
  const venues = DEFAULT_SYNTHETIC_VENUES.map((id) => ({
    id,
    instruments,
    balances: { ...(balances[id] ?? {}), ...validBalances(options.balances) },
  }))
  return { source, venues, reportingCurrency: instruments[0]!.quote, files: [] }
}

async function sampleEvents(source: MarketSource): Promise<MarketEvent[]> {
  const out: MarketEvent[] = []
  for await (const batch of source) {
    for (const e of batch) {
      out.push(e)
      if (out.length === SAMPLE_EVENTS) return out
    }
  }
  return out
}

function validBalances(balances: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [asset, amount] of Object.entries(balances ?? {})) {
    let value
    try {
      value = dec(amount)
    } catch {
      throw new InputError(`--balance ${asset}=${amount}: amount is not a number`)
    }
    if (value.isNegative() || !value.isFinite()) throw new InputError(`--balance ${asset}=${amount}: amount must be ≥ 0`)
    out[asset] = value.toString()
  }
  return out
}

/** Creates strategies with unique ids (`name`, then `name-2`, …). */
/**
 * The one bar timeframe of the recorded data, when every file holds candles of the same timeframe; undefined
 * for ticks, books, the synthetic market, or candles of several timeframes.
 */
export function dataTimeframe(market: MarketSetup): string | undefined {
  if (market.files.length === 0) return undefined
  const timeframes = new Set(market.files.map((f) => (isCandleFormat(f.info.format) ? f.info.timeframe : undefined)))
  const [only] = timeframes
  return timeframes.size === 1 ? only : undefined
}

/**
 * Strategies that take a `timeframe` parameter and were not given one trade the data's candles: a backtest on
 * 5-minute candles runs a bar strategy on 5-minute bars instead of waiting for 1-minute bars that never come.
 */
export function withDataTimeframe(specs: readonly StrategySpec[], timeframe: string | undefined): StrategySpec[] {
  if (timeframe === undefined) return [...specs]
  return specs.map((spec) =>
    spec.params['timeframe'] === undefined && strategyParamNames(spec.definition ?? spec.name).includes('timeframe') ? { ...spec, params: { ...spec.params, timeframe } } : spec,
  )
}

export function createStrategies(specs: readonly StrategySpec[]): Strategy[] {
  const seen = new Map<string, number>()
  return specs.map((spec) => {
    const n = (seen.get(spec.name) ?? 0) + 1
    seen.set(spec.name, n)
    const id = n === 1 ? spec.name : `${spec.name}-${n}`
    return spec.definition !== undefined ? instantiateStrategy(spec.definition, id, spec.params, spec.version) : createStrategy(spec.name, id, spec.params)
  })
}
