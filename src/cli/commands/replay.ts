/**
 * @module cli/commands/replay
 * `sofia replay`: the adverse trades of the store (closing fills below a net P&L threshold, opening fills
 * with adverse slippage), newest first, each with its decision re-run by today's code on the market data
 * the session recorded (`<data-dir>/market/*.csv`). Read-only; exit 0 with a report, 2 on bad input.
 */
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { Decimal, InputError } from '../../model/index.js'
import { parseUtcDate } from '../../ops/pnl/index.js'
import { formatReplayReport, replayAdverseTrades } from '../../ops/replay/index.js'
import { parseNonNegativeInt } from '../args.js'
import { addStoreOptions, dataDirOf, openStoreFromFlags } from '../store-option.js'
import type { StoreFlags } from '../store-option.js'

const DAY_MS = 86_400_000

interface ReplayFlags extends StoreFlags {
  lastN?: string
  threshold?: string
  date?: string
  days?: string
  window?: string
  toleranceMs?: string
  marketDir?: string
  json?: boolean
}

function positiveInt(option: string, value: string): number {
  const n = parseNonNegativeInt(option, value)
  if (n === 0) throw new InputError(`${option}: expected a whole number > 0, got '${value}'`)
  return n
}

/** Where the sessions recorded their market data: --market-dir, else next to the database. */
function marketDirOf(flags: ReplayFlags): string {
  if (flags.marketDir !== undefined) return flags.marketDir
  if (flags.db !== undefined) return join(dirname(flags.db), 'market')
  return join(dataDirOf(flags), 'market')
}

export function registerReplay(program: Command): void {
  addStoreOptions(
    program
      .command('replay')
      .summary('replay adverse trades: decision, expected vs realized price, latency, risk verdicts, same decision today?')
      .description(
        'Selects adverse trades — closing fills whose realized P&L net of fees is below --threshold (default 0), ' +
          'and opening fills filled worse than their decision price — newest first, and for each prints the ' +
          'decision (side, type, amount), the expected (decision) and realized price, slippage in bps, latency ' +
          'from the intent to the accept and first fill, the risk verdicts, and whether the same strategy code, ' +
          'rebuilt with the parameters its session recorded and re-run on the market data recorded in ' +
          '<data-dir>/market over the window before the decision, decides the same today.',
      )
      .option('--last-n <n>', 'only the newest N adverse trades')
      .option('--threshold <amount>', 'closing fills with net P&L below this are adverse (default 0)')
      .option('--date <YYYY-MM-DD>', 'only fills of this UTC day (with --days: the last day of the range)')
      .option('--days <n>', 'only fills of the last N UTC days (ending --date, default today)')
      .option('--window <minutes>', 'market context replayed before each decision (default 30)')
      .option('--tolerance-ms <ms>', 'how far from the original decision time a replayed intent still matches (default 1000)')
      .option('--market-dir <dir>', 'the recorded market data (default <data-dir>/market)')
      .option('--json', 'print the report as one JSON object'),
  ).action(async (flags: ReplayFlags) => {
    const lastN = flags.lastN === undefined ? undefined : positiveInt('--last-n', flags.lastN)
    let threshold = new Decimal(0)
    if (flags.threshold !== undefined) {
      try {
        threshold = new Decimal(flags.threshold)
      } catch {
        throw new InputError(`--threshold: expected a number, got '${flags.threshold}'`)
      }
      if (!threshold.isFinite()) throw new InputError(`--threshold: expected a finite number, got '${flags.threshold}'`)
    }
    let from: number | undefined
    let to: number | undefined
    if (flags.date !== undefined || flags.days !== undefined) {
      const lastDay = flags.date !== undefined ? parseUtcDate('--date', flags.date) : Math.floor(Date.now() / DAY_MS) * DAY_MS
      const days = flags.days === undefined ? 1 : positiveInt('--days', flags.days)
      from = lastDay - (days - 1) * DAY_MS
      to = lastDay + DAY_MS
    }
    const windowMs = (flags.window === undefined ? 30 : positiveInt('--window', flags.window)) * 60_000
    const toleranceMs = flags.toleranceMs === undefined ? 1_000 : parseNonNegativeInt('--tolerance-ms', flags.toleranceMs)
    const marketDir = marketDirOf(flags)
    const store = await openStoreFromFlags(flags, { create: false })
    try {
      const recorded = existsSync(marketDir) ? readdirSync(marketDir).filter((f) => /^\d{4}-\d{2}-\d{2}\.csv$/.test(f)) : []
      if (recorded.length === 0) {
        throw new InputError(`no market recordings in ${marketDir} (paper, serve and run sessions record there; or give --market-dir)`)
      }
      const report = await replayAdverseTrades(store, { threshold, from, to, lastN, marketDir, windowMs, toleranceMs })
      process.stdout.write(flags.json === true ? `${JSON.stringify(report)}\n` : formatReplayReport(report))
    } finally {
      await store.close()
    }
  })
}
