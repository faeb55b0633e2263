/**
 * @module ops/sweep/worker
 * One sweep worker thread: resolves the strategy (loading the user's file here too), then runs one backtest
 * per task it is sent and answers with its figures.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { resolveStrategy } from '../../strategy/index.js'
import { runBacktest } from '../../system/index.js'
import type { SweepReply, SweepTask, SweepWorkerData } from './sweep.js'

const setup = workerData as SweepWorkerData
const port = parentPort!
const name = resolveStrategy(setup.strategy, setup.strategyDir !== undefined ? { dir: setup.strategyDir } : {})

port.on('message', (task: SweepTask) => {
  void run(task).then((reply) => port.postMessage(reply))
})

async function run(task: SweepTask): Promise<SweepReply> {
  try {
    const curve = task.curve
    const r = await runBacktest({
      data: setup.data,
      ...(curve !== undefined ? { equitySampleMs: curve.sampleMs } : {}),
      ...(setup.format !== undefined ? { format: setup.format } : {}),
      ...(setup.symbol !== undefined ? { symbol: setup.symbol } : {}),
      ...(setup.venue !== undefined ? { venue: setup.venue } : {}),
      strategies: [{ name: await name, params: task.params }],
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
