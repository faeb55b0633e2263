/**
 * @module ops/sweep/run-task
 * One sweep task: a backtest with the sweep's setup and the task's parameters, answered with its figures (or
 * its equity curve). The one function both a sweep worker thread and a `sofia worker` process run, so a
 * result is the same wherever it was computed.
 */
import { resolveStrategy } from '../../strategy/index.js'
import { runBacktest } from '../../system/index.js'
import type { SweepReply, SweepTask, SweepWorkerData } from './types.js'

/** Strategies resolved in this thread, by setup: a user's file is loaded once, not once per task. */
const resolved = new Map<string, Promise<string>>()

function strategyOf(setup: SweepWorkerData): Promise<string> {
  const key = JSON.stringify([setup.strategy, setup.strategyDir ?? null, setup.cwd ?? null])
  let name = resolved.get(key)
  if (name === undefined) {
    name = resolveStrategy(setup.strategy, { ...(setup.strategyDir !== undefined ? { dir: setup.strategyDir } : {}), ...(setup.cwd !== undefined ? { cwd: setup.cwd } : {}) })
    // A failed load is answered as the task's error and tried again by the next task.
    name.catch(() => resolved.delete(key))
    resolved.set(key, name)
  }
  return name
}

/** Runs one task; a failure is the reply's `error`, never a throw. */
export async function runSweepTask(setup: SweepWorkerData, task: SweepTask): Promise<SweepReply> {
  try {
    const curve = task.curve
    const r = await runBacktest({
      data: setup.data,
      ...(curve !== undefined ? { equitySampleMs: curve.sampleMs } : {}),
      ...(setup.format !== undefined ? { format: setup.format } : {}),
      ...(setup.symbol !== undefined ? { symbol: setup.symbol } : {}),
      ...(setup.venue !== undefined ? { venue: setup.venue } : {}),
      strategies: [{ name: await strategyOf(setup), params: task.params }],
      ...((curve?.from ?? setup.from) !== undefined ? { from: (curve?.from ?? setup.from)! } : {}),
      ...((curve?.to ?? setup.to) !== undefined ? { to: (curve?.to ?? setup.to)! } : {}),
      ...(setup.balances !== undefined ? { balances: setup.balances } : {}),
    })
    if (curve !== undefined) {
      return { index: task.index, curve: r.trader.ledger.equityCurve().map((e) => [e.timestamp, e.equity.toString()] as const) }
    }
    const report = r.report
    return {
      index: task.index,
      result: {
        params: report.strategies[0]!.params as Record<string, string>,
        netPnl: report.netPnl,
        fills: report.fills,
        orders: report.orders.submitted,
        sharpe: report.sharpe,
        maxDrawdown: report.maxDrawdown,
        maxDrawdownPct: report.maxDrawdownPct,
      },
    }
  } catch (error) {
    return { index: task.index, error: error instanceof Error ? error.message : String(error) }
  }
}
