/**
 * @module cli/commands/sweep
 * `sofia sweep --strategy S --grid key=v1,v2 … --data FILE…`: backtests every combination of the grid across
 * worker threads (or, with `--nats URL`, on `sofia worker` processes) and prints a table (best net P&L first)
 * or `--json` (`results` in grid order; over NATS each result names its `worker`).
 */
import type { Command } from 'commander'
import { runSweep, parseGrid } from '../../ops/sweep/index.js'
import type { SweepResult } from '../../ops/sweep/index.js'
import { InputError } from '../../model/index.js'
import { Decimal } from '../../model/index.js'
import { collect, keyValues, parseDataFormat, parseNonNegativeInt } from '../args.js'
import { addConfigOption, resolveStrategyFlags, sessionConfig } from '../session-config.js'
import { addQueueOptions, queueFromFlags } from '../queue-option.js'
import type { QueueFlags } from '../queue-option.js'
import { addTimeRangeOptions, timeRangeOf } from '../time-range-option.js'
import type { TimeRangeFlags } from '../time-range-option.js'

interface Flags extends QueueFlags, TimeRangeFlags {
  strategy: string
  grid: string[]
  data: string[]
  format?: string
  symbol?: string
  venue?: string
  param: string[]
  balance: string[]
  workers?: string
  json?: boolean
  config?: string
}

export function registerSweep(program: Command): void {
  const cmd = addTimeRangeOptions(
    program
      .command('sweep')
      .summary('backtest every combination of a parameter grid, across worker threads or sofia worker processes')
      .requiredOption('--strategy <name|file>', 'strategy: a built-in name, a .ts/.js file, or NAME in ./strategies')
      .requiredOption('--grid <key=v1,v2,...>', 'values of one parameter to try (repeat for more parameters)', collect, [])
      .requiredOption('--data <path...>', "market data files, or 'synthetic'")
      .option('--format <name>', 'format of the data files (default: detected from the name and first line; see README)')
      .option('--symbol <symbol>', 'CCXT symbol of the data (default: from the file name)')
      .option('--venue <id>', 'venue of the data (default: from the file name)')
      .option('--param <key=value>', 'parameter fixed for every run (repeatable)', collect, [])
      .option('--balance <asset=amount>', 'starting balance on every venue (repeatable)', collect, []),
    'first event time',
  )
    .option('--workers <n>', 'worker threads (default: the cores)')
    .option('--json', 'one JSON object: { results: [{ params, netPnl, fills, orders, sharpe, maxDrawdown, maxDrawdownPct, worker? }] } in grid order')
  addQueueOptions(addConfigOption(cmd)).action(async (flags: Flags) => {
    const grid = parseGrid(flags.grid)
    const nats = queueFromFlags(flags)
    if (nats !== undefined && flags.workers !== undefined) throw new InputError('--workers: local threads only, not with --nats')
    const session = await sessionConfig(flags)
    const [name] = await resolveStrategyFlags([flags.strategy], flags, session.config)
    const workers = flags.workers === undefined ? undefined : parseNonNegativeInt('--workers', flags.workers)
    if (workers === 0) throw new InputError('--workers: at least 1')
    const started = Date.now()
    const results = await runSweep({
      strategy: flags.strategy,
      strategyName: name!,
      strategyDir: session.config.strategyDir,
      grid,
      params: keyValues('--param', flags.param),
      data: flags.data,
      ...(flags.format !== undefined ? { format: parseDataFormat('--format', flags.format) } : {}),
      ...(flags.symbol !== undefined ? { symbol: flags.symbol } : {}),
      ...(flags.venue !== undefined ? { venue: flags.venue } : {}),
      balances: keyValues('--balance', flags.balance),
      ...timeRangeOf(flags),
      ...(workers !== undefined ? { workers } : {}),
      ...(nats !== undefined ? { nats } : {}),
    })
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify({ strategy: name, grid, results, elapsedMs: Date.now() - started })}\n`)
      return
    }
    process.stdout.write(formatSweep(Object.keys(grid), results))
    process.stdout.write(`${results.length} runs in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  })
}

function formatSweep(keys: readonly string[], results: readonly SweepResult[]): string {
  const sorted = [...results].sort((a, b) => new Decimal(b.netPnl).cmp(a.netPnl))
  const byWorker = results.some((r) => r.worker !== undefined)
  const head = [...keys, 'net P&L', 'fills', 'Sharpe', 'max DD %', ...(byWorker ? ['worker'] : [])]
  const rows = sorted.map((r) => [
    ...keys.map((k) => r.params[k] ?? ''),
    new Decimal(r.netPnl).toSignificantDigits(8).toString(),
    String(r.fills),
    r.sharpe === null ? 'n/a' : r.sharpe.toFixed(3),
    r.maxDrawdownPct.toFixed(2),
    ...(byWorker ? [r.worker ?? ''] : []),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  // Parameters and the worker read left-aligned, figures right-aligned.
  const left = (i: number): boolean => i < keys.length || (byWorker && i === head.length - 1)
  const line = (cells: readonly string[]): string => cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(head), ...rows.map(line)].join('\n') + '\n'
}
