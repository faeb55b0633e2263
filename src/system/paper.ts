/**
 * @module system/paper
 * `sofia paper`: a paper session (built by `buildSession`) on the wall clock until the signal aborts, a status
 * snapshot every `statusEveryMs`, and the same report at the end as a backtest.
 */
import { resultOf } from './backtest.js'
import type { BacktestResult } from './backtest.js'
import { buildSession } from './build-session.js'
import type { PaperConfig, SessionStatus } from './build-session.js'
import type { RecoverySummary } from './recovery.js'
import { DEFAULT_RISK } from './risk-setup.js'
import type { Trader } from './trader.js'

export interface PaperOptions extends Omit<PaperConfig, 'kind'> {
  readonly signal: AbortSignal
  /** Called every `statusEveryMs` with a fresh status. */
  readonly onStatus?: (status: SessionStatus) => void
  readonly statusEveryMs?: number
  /** Called once the trader is built, before recovery is reported and before the first event. */
  readonly onTrader?: (trader: Trader) => void
  /** Called once recovery is done, before the first event. */
  readonly onRecovered?: (summary: RecoverySummary) => void
}

export async function runPaper(options: PaperOptions): Promise<BacktestResult> {
  const { signal, onStatus, statusEveryMs, onTrader, onRecovered, ...config } = options
  const session = await buildSession({ kind: 'paper', ...config })
  onTrader?.(session.trader)
  onRecovered?.(session.trader.recovery)
  const stop = (): void => session.stop()
  if (signal.aborted) stop()
  else signal.addEventListener('abort', stop, { once: true })
  const timer = onStatus === undefined ? undefined : setInterval(() => onStatus(session.status()), statusEveryMs ?? 1_000)
  try {
    const { stats } = await session.start()
    return resultOf(session, stats, { seed: options.seed, monitors: Object.keys((options.riskSettings ?? DEFAULT_RISK).monitors) })
  } finally {
    if (timer !== undefined) clearInterval(timer)
    signal.removeEventListener('abort', stop)
  }
}
