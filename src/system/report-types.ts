/**
 * @module system/report-types
 * The backtest report's shape (`sofia backtest --json`, and the runs the API keeps). Types only, with no import:
 * the dashboard imports them as they are, so the page and the server cannot disagree on a field.
 */
export interface ReportMeta {
  /** What ran: `version` when a registered version's parameters and code ran. */
  readonly strategies: readonly { readonly id: string; readonly name: string; readonly params: Record<string, unknown>; readonly version?: string }[]
  readonly data: readonly string[]
  readonly seed: number | undefined
  /** The runtime monitors the run had (threshold names); none unless configured. */
  readonly monitors: readonly string[]
}

export interface BacktestReport {
  readonly strategies: ReportMeta['strategies']
  readonly data: readonly string[]
  readonly seed: number | null
  readonly currency: string
  readonly from: string | null
  readonly to: string | null
  readonly events: number
  readonly initialEquity: string
  readonly finalEquity: string
  readonly netPnl: string
  readonly realizedPnl: string
  readonly unrealizedPnl: string
  readonly fees: string
  readonly volume: string
  readonly orders: { submitted: number; denied: number; rejected: number; canceled: number; filled: number }
  /** Why orders did not trade: venue rejections by reason (numbers shown as N), risk denials by code. */
  readonly notTraded: { readonly rejected: Readonly<Record<string, number>>; readonly denied: Readonly<Record<string, number>> }
  /** Every change of trading state (kill switch, account or strategy state) with its time and cause. */
  readonly stateChanges: readonly { readonly at: string; readonly what: string; readonly cause: string }[]
  /** The runtime monitors the run had; empty when `risk.monitors` is not configured. */
  readonly monitors: readonly string[]
  readonly fills: number
  readonly closingFills: number
  readonly winRate: number
  /** Annualized from the equity samples' spacing; null below MIN_RATIO_SAMPLES returns (too short to say). */
  readonly sharpe: number | null
  readonly sortino: number | null
  readonly maxDrawdown: string
  readonly maxDrawdownPct: number
  readonly exposure: number
  readonly positions: readonly { venue: string; symbol: string; amount: string; averagePrice: string | null }[]
  readonly balances: readonly { venue: string; asset: string; initial: string; total: string }[]
  /** The ledger identity was verified exactly at the end of the run. */
  readonly ledgerVerified: true
}

/** A backtest's equity curve and fills, for charts (`sofia backtest --series FILE`, a dashboard run). */
export interface BacktestSeries {
  readonly currency: string
  /** Evenly thinned over a long run (as the ledger keeps it), oldest first. */
  readonly equity: readonly { readonly t: number; readonly equity: string; readonly drawdown: string }[]
  /** The first MAX_SERIES_FILLS fills, oldest first. */
  readonly fills: readonly SeriesFill[]
  /** Fills past MAX_SERIES_FILLS, counted but not listed. */
  readonly fillsLeftOut: number
  /** Each market's price candles, for a price chart with the fills on it (`SeriesCandles`). */
  readonly markets: readonly SeriesMarket[]
}

/** One market's candles in a backtest's series: at most MAX_SERIES_CANDLES, at the finest timeframe that fits. */
export interface SeriesMarket {
  readonly venue: string
  readonly symbol: string
  /** What the candles are made of: the data's bars, its trades, or the mid of its quotes. */
  readonly source: 'bars' | 'trades' | 'quotes'
  readonly timeframe: string
  /** Oldest first; `time` is the candle's start (ms); prices as the data has them. */
  readonly candles: readonly { readonly time: number; readonly open: number; readonly high: number; readonly low: number; readonly close: number; readonly volume: number }[]
}

/** Who traded what at which price: the fields every fill the dashboard reads carries (decimals as strings). */
export interface FillTerms {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: string
  readonly price: string
  readonly amount: string
}

export interface SeriesFill extends FillTerms {
  readonly t: number
}
