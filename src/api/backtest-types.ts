/**
 * @module api/backtest-types
 * The answers of the backtest routes (`GET /backtests`, `GET /backtests/:id`). Types only, importing nothing but
 * the report's own types: the dashboard's Backtests page imports them as they are.
 */
import type { BacktestReport, BacktestSeries } from '../system/report-types.js'

export type { BacktestReport, BacktestSeries, SeriesFill } from '../system/report-types.js'

/** One run as kept in `<data-dir>/backtests/<id>.json` (`GET /backtests/:id`). */
export interface BacktestRun {
  readonly id: string
  readonly strategy: string
  readonly data: string
  readonly params: Readonly<Record<string, string>>
  /** The registered version that ran (its parameters and code), when one was picked. */
  readonly version?: string
  readonly actor: string
  readonly startedAt: number
  readonly status: 'running' | 'done' | 'failed'
  readonly finishedAt?: number
  readonly error?: string
  readonly report?: BacktestReport
  /** Its equity curve and fills (`GET /backtests/:id` only; kept beside the run as `<id>.series.json`). */
  readonly series?: BacktestSeries
}

/** The figures of a run's report that the list shows. */
export type BacktestSummary = Pick<BacktestReport, 'currency' | 'from' | 'to' | 'events' | 'netPnl' | 'fees' | 'fills' | 'winRate' | 'sharpe' | 'maxDrawdownPct' | 'orders'>

/** A run in the list: without its report, with its summary once done. */
export type BacktestRunListed = Omit<BacktestRun, 'report' | 'series'> & { readonly summary?: BacktestSummary }

/** `GET /backtests`. */
export interface BacktestList {
  readonly running: string | null
  readonly runs: readonly BacktestRunListed[]
  /** `synthetic` and the files in `<data-dir>/data/`. */
  readonly data: readonly string[]
  /**
   * The built-in strategies (with their parameter names), then the user's strategy files in the server's
   * strategies directory (`file: true`; their parameters are checked when the run starts).
   */
  readonly strategies: readonly { readonly name: string; readonly description: string; readonly params: readonly string[]; readonly file?: true }[]
  /** The registry's versions, newest first: a run of one uses its parameters and its code as registered. */
  readonly versions: readonly { readonly strategy: string; readonly version: string; readonly status: string; readonly params: Readonly<Record<string, string>> }[]
}
