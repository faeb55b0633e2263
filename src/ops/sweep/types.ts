/**
 * @module ops/sweep/types
 * What a sweep hands a worker (a thread, or a `sofia worker` over NATS) and what it gets back.
 */
import type { DataFormat } from '../../data/index.js'

export interface SweepResult {
  readonly params: Readonly<Record<string, string>>
  readonly netPnl: string
  readonly fills: number
  readonly orders: number
  readonly sharpe: number | null
  readonly maxDrawdown: string
  readonly maxDrawdownPct: number
  /** The `sofia worker` that ran it (sweeps over NATS only). */
  readonly worker?: string
}

/** What a worker is given for one run. */
export interface SweepTask {
  readonly index: number
  readonly params: Readonly<Record<string, string>>
  /** Asks for the equity curve (sampled every `sampleMs`, over [from, to)) instead of the figures. */
  readonly curve?: { readonly sampleMs: number; readonly from?: number; readonly to?: number }
}

/** What a worker is given for all its runs: the strategy and the data, as `sofia backtest` takes them. */
export interface SweepWorkerData {
  readonly strategy: string
  readonly strategyDir?: string
  readonly data: readonly string[]
  /** Format, symbol and venue of the data files, as `sofia backtest --format/--symbol/--venue` (default: detected). */
  readonly format?: DataFormat
  readonly symbol?: string
  readonly venue?: string
  readonly from?: number
  readonly to?: number
  readonly balances?: Readonly<Record<string, string>>
  /** Directory a relative strategy file or strategy directory is resolved from (default: the process's). */
  readonly cwd?: string
}

export type SweepReply =
  | { readonly index: number; readonly result?: SweepResult; readonly curve?: readonly (readonly [number, string])[]; readonly error?: undefined }
  | { readonly index: number; readonly error: string }
