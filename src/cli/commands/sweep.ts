/**
 * @module cli/commands/sweep
 * `sofia sweep --strategy S --grid key=v1,v2 … --data FILE…`: backtests every combination of the grid across
 * worker threads and prints a table (best net P&L first) or `--json` (`results` in grid order).
 */
import type { Command } from 'commander'
import { runSweep, parseGrid } from '../../ops/sweep/index.js'
import type { SweepResult } from '../../ops/sweep/index.js'
import { InputError } from '../../model/index.js'
import { Decimal } from '../../model/index.js'
import { collect, keyValues, parseDataFormat, parseNonNegativeInt, parseTime } from '../args.js'
import { resolveStrategyFlags, sessionConfig } from '../session-config.js'

interface Flags {
  strategy: string
  grid: string[]
  data: string[]
  format?: string
  symbol?: string
  venue?: string
  param: string[]
  balance: string[]
  from?: string
  to?: string
  workers?: string
  json?: boolean
  config?: string
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .summary('backtest every combination of a parameter grid, across worker threads')
    .requiredOption('--strategy <name|file>', 'strategy: a built-in name, a .ts/.js file, or NAME in ./strategies')
    .requiredOption('--grid <key=v1,v2,...>', 'values of one parameter to try (repeat for more parameters)', collect, [])
    .requiredOption('--data <path...>', "market data files, or 'synthetic'")
    .option('--format <name>', 'format of the data files (default: detected from the name and first line; see README)')
    .option('--symbol <symbol>', 'CCXT symbol of the data (default: from the file name)')
    .option('--venue <id>', 'venue of the data (default: from the file name)')
    .option('--param <key=value>', 'parameter fixed for every run (repeatable)', collect, [])
    .option('--balance <asset=amount>', 'starting balance on every venue (repeatable)', collect, [])
    .option('--from <time>', 'first event time (ISO 8601 or epoch ms)')
    .option('--to <time>', 'end time, exclusive (ISO 8601 or epoch ms)')
    .option('--workers <n>', 'worker threads (default: the cores)')
    .option('--json', 'one JSON object: { results: [{ params, netPnl, fills, orders, sharpe, maxDrawdown, maxDrawdownPct }] } in grid order')
    .option('--config <file>', 'configuration file (default ./sofia.yaml when present)')
    .action(async (flags: Flags) => {
      const grid = parseGrid(flags.grid)
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
        ...(flags.from !== undefined ? { from: parseTime('--from', flags.from) } : {}),
        ...(flags.to !== undefined ? { to: parseTime('--to', flags.to) } : {}),
        ...(workers !== undefined ? { workers } : {}),
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
  const head = [...keys, 'net P&L', 'fills', 'Sharpe', 'max DD %']
  const rows = sorted.map((r) => [
    ...keys.map((k) => r.params[k] ?? ''),
    new Decimal(r.netPnl).toSignificantDigits(8).toString(),
    String(r.fills),
    r.sharpe === null ? 'n/a' : r.sharpe.toFixed(3),
    r.maxDrawdownPct.toFixed(2),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < keys.length ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(head), ...rows.map(line)].join('\n') + '\n'
}
