/**
 * @module ops/sweep
 * A parameter sweep: every combination of a grid of parameter values backtested on the same data, spread over
 * worker threads (one backtest per task; a worker takes the next task when it is done), or over `sofia worker`
 * processes through a NATS JetStream work queue (`nats`, see nats-queue). Each result is the same as
 * `sofia backtest` with those parameters would give; results come back in grid order.
 */
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { InputError, dec } from '../../model/index.js'
import type { EquitySample } from '../../ledger/index.js'
import { createStrategy } from '../../strategy/index.js'
import { SYNTHETIC } from '../../system/index.js'
import { runOnQueue } from './nats-queue.js'
import type { QueueOptions } from './nats-queue.js'

/** A sweep: what each worker is given for its runs (but `cwd`, set for queue workers), and the grid to run. */
export interface SweepOptions extends Omit<SweepWorkerData, 'cwd'> {
  /** `--strategy` as given: a built-in name or a file (resolved again in each worker). */
  readonly strategy: string
  /** The name it resolved to in this thread (validates the grid before any worker starts). */
  readonly strategyName: string
  readonly grid: Readonly<Record<string, readonly string[]>>
  /** Parameters fixed for every run. */
  readonly params?: Readonly<Record<string, string>>
  /** Worker threads (default: the cores, at most the number of runs). */
  readonly workers?: number
  /** Run on `sofia worker` processes through this NATS work queue instead of local threads. */
  readonly nats?: QueueOptions
}

export type { SweepReply, SweepResult, SweepTask, SweepWorkerData } from './types.js'
import type { SweepReply, SweepResult, SweepTask, SweepWorkerData } from './types.js'

/** `key=v1,v2,…` values into a grid; InputError for a malformed one. */
export function parseGrid(pairs: readonly string[]): Record<string, string[]> {
  const grid: Record<string, string[]> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    const key = pair.slice(0, at)
    const values = pair
      .slice(at + 1)
      .split(',')
      .map((v) => v.trim())
    if (at <= 0 || values.some((v) => v === '')) throw new InputError(`--grid '${pair}': expected KEY=VALUE1,VALUE2,…`)
    if (grid[key] !== undefined) throw new InputError(`--grid ${key}: given twice`)
    grid[key] = values
  }
  if (Object.keys(grid).length === 0) throw new InputError('--grid: give at least one KEY=VALUE1,VALUE2,…')
  return grid
}

/** Every combination, the first key varying slowest. */
export function combinations(grid: Readonly<Record<string, readonly string[]>>, base: Readonly<Record<string, string>> = {}): Record<string, string>[] {
  let out: Record<string, string>[] = [{ ...base }]
  for (const [key, values] of Object.entries(grid)) out = out.flatMap((p) => values.map((v) => ({ ...p, [key]: v })))
  return out
}

/** Largest sweep `runSweep` accepts (a typo in a grid should not start a week of backtests). */
export const MAX_SWEEP_RUNS = 10_000

export async function runSweep(o: SweepOptions): Promise<SweepResult[]> {
  const all = combinations(o.grid, o.params)
  if (all.length > MAX_SWEEP_RUNS) throw new InputError(`--grid: ${all.length} combinations; at most ${MAX_SWEEP_RUNS}`)
  // Every combination is checked against the strategy's schema first: a bad value is one line, exit 2.
  for (const params of all) createStrategy(o.strategyName, o.strategyName, params)
  const replies = await run(o, all.map((params) => ({ params })), (i) => `sweep run ${JSON.stringify(all[i])}`)
  return replies.map((r) => (r.worker !== undefined ? { ...r.result!, worker: r.worker } : r.result!))
}

/** One equity curve to compute: a backtest of `params` over [from, to), equity sampled every `sampleMs`. */
export interface CurveTask {
  readonly params: Readonly<Record<string, string>>
  readonly sampleMs: number
  readonly from?: number
  readonly to?: number
}

/**
 * Equity curves of several backtests of one strategy on the same data, across worker threads (what `sofia
 * validate` runs: its trials and its walk-forward folds). Each equals the curve of the same backtest in-process.
 */
export async function runCurves(
  o: Pick<SweepOptions, 'strategy' | 'strategyDir' | 'data' | 'format' | 'symbol' | 'venue' | 'balances' | 'workers' | 'nats'>,
  tasks: readonly CurveTask[],
): Promise<EquitySample[][]> {
  const replies = await run(
    o,
    tasks.map((t) => ({ params: t.params, curve: { sampleMs: t.sampleMs, ...(t.from !== undefined ? { from: t.from } : {}), ...(t.to !== undefined ? { to: t.to } : {}) } })),
    (i) => `backtest ${JSON.stringify(tasks[i]!.params)}`,
  )
  return replies.map((r) => r.curve!.map(([timestamp, equity]) => ({ timestamp, equity: dec(equity) })))
}

type Reply = Extract<SweepReply, { readonly error?: undefined }> & { readonly worker?: string }

/** On local threads, or on the queue's workers with paths made absolute (they may run elsewhere; see nats-queue). */
function run(o: Omit<SweepOptions, 'strategyName' | 'grid'>, tasks: readonly Omit<SweepTask, 'index'>[], describe: (index: number) => string): Promise<Reply[]> {
  if (o.nats === undefined) return runOnWorkers(workerData(o), tasks, o.workers, describe)
  const cwd = process.cwd()
  const data = o.data.map((d) => (d === SYNTHETIC ? d : resolve(cwd, d)))
  return runOnQueue({ ...workerData({ ...o, data }), cwd }, tasks, o.nats, describe)
}

function workerData(o: Omit<SweepWorkerData, 'cwd'>): SweepWorkerData {
  return {
    strategy: o.strategy,
    data: o.data,
    ...(o.strategyDir !== undefined ? { strategyDir: o.strategyDir } : {}),
    ...(o.format !== undefined ? { format: o.format } : {}),
    ...(o.symbol !== undefined ? { symbol: o.symbol } : {}),
    ...(o.venue !== undefined ? { venue: o.venue } : {}),
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
    ...(o.balances !== undefined ? { balances: o.balances } : {}),
  }
}

/** Runs the tasks on a pool of worker threads (default: one per core, at most one per task), answers in task order. */
async function runOnWorkers(
  data: SweepWorkerData,
  tasks: readonly Omit<SweepTask, 'index'>[],
  workerCount: number | undefined,
  describe: (index: number) => string,
): Promise<Extract<SweepReply, { readonly error?: undefined }>[]> {
  const workers = Math.max(1, Math.min(workerCount ?? availableParallelism(), tasks.length))
  const results: (Extract<SweepReply, { readonly error?: undefined }> | undefined)[] = new Array(tasks.length)
  let next = 0
  let failure: Error | undefined
  const pool = Array.from({ length: workers }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: data }))
  try {
    await Promise.all(
      pool.map(
        (worker) =>
          new Promise<void>((resolveDone, rejectDone) => {
            const give = (): void => {
              if (failure !== undefined || next >= tasks.length) {
                resolveDone()
                return
              }
              const index = next++
              worker.postMessage({ index, ...tasks[index]! } satisfies SweepTask)
            }
            worker.on('message', (reply: SweepReply) => {
              if (reply.error !== undefined) {
                failure ??= new InputError(`${describe(reply.index)}: ${reply.error}`)
                resolveDone()
                return
              }
              results[reply.index] = reply
              give()
            })
            worker.on('error', (error) => rejectDone(error))
            worker.on('exit', (code) => {
              if (code !== 0 && failure === undefined) rejectDone(new Error(`sweep worker exited with code ${code}`))
            })
            give()
          }),
      ),
    )
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
  if (failure !== undefined) throw failure
  return results.map((r) => r!)
}
