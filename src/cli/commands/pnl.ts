/**
 * @module cli/commands/pnl
 * `sofia pnl [--period …]` prints P&L by strategy, venue, symbol and UTC day; `sofia pnl export --csv FILE`
 * writes one row per fill. Both replay the store's fills through the ledger; read-only.
 */
import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import {
  PNL_LEGS,
  roundText,
  legsJson,
  pnlByLeg,
  CSV_COLUMNS,
  formatPnl,
  loadStoredCosts,
  parsePeriod,
  periodJson,
  pnlJson,
  readCostsFile,
  readMarksFile,
  replayPnl,
  summarizePnl,
  writeFillsCsv,
} from '../../ops/pnl/index.js'
import type { CostRecord, MarkTable, PnlLeg } from '../../ops/pnl/index.js'
import type { Store } from '../../store/index.js'
import { addStoreOptions, withStore } from '../store-option.js'
import type { StoreFlags } from '../store-option.js'

export interface PnlInputFlags extends StoreFlags {
  period?: string
  currency?: string
  marks?: string
  costs?: string
  json?: boolean
}

interface ExportFlags extends PnlInputFlags {
  csv: string
}

const PERIOD_HELP = 'today, yesterday, 7d (last seven UTC days), all, or a UTC date YYYY-MM-DD (default all)'

/** The options `pnl` and `report` share for what goes into P&L. */
export function addPnlInputOptions(cmd: Command, withPeriod: boolean): Command {
  if (withPeriod) cmd.option('--period <period>', PERIOD_HELP)
  return cmd
    .option('--currency <code>', 'quote currency to report in (default: that of the fills)')
    .option('--marks <file.json>', 'marks for unrealized P&L, {"venue:symbol": price} (default: last fill price per venue:symbol)')
    .option('--costs <file.jsonl>', 'other costs (gas, network fees, funding), one JSON record per line; added to those in the store')
}

/** Everything the flags point at, read before the store is opened so a bad file exits 2 without touching it. */
export async function readPnlInputs(flags: PnlInputFlags): Promise<{ marks: MarkTable | undefined; fileCosts: CostRecord[] }> {
  const marks = flags.marks === undefined ? undefined : await readMarksFile(flags.marks)
  const fileCosts = flags.costs === undefined ? [] : await readCostsFile(flags.costs)
  return { marks, fileCosts }
}

export async function allCosts(store: Store, fileCosts: readonly CostRecord[]): Promise<CostRecord[]> {
  return [...(await loadStoredCosts(store)), ...fileCosts]
}

/**
 * `export` is an argument rather than a subcommand: the top-level program reads options anywhere on the line,
 * so a subcommand could not have options of the same names as `pnl`'s own (--period, --data-dir …).
 */
export function registerPnl(program: Command): void {
  addStoreOptions(
    addPnlInputOptions(
      program
        .command('pnl')
        .summary('P&L by strategy, venue, symbol and day; `pnl export --csv FILE` writes one row per fill')
        .description(
          'Replays the stored fills through the ledger (average cost) and prints, for the period (UTC): ' +
            'gross realized P&L, fees, other costs, net P&L (= realized − fees − costs), unrealized P&L at the ' +
            'period-end marks, win rate of closing fills, slippage against the decision price (bps, worse ' +
            'positive) and order outcomes with reasons — by strategy, venue, symbol and day.\n\n' +
            `'sofia pnl export --csv FILE' writes one CSV row per fill instead, with the columns:\n${CSV_COLUMNS.join(', ')}.`,
        )
        .argument('[action]', "'export': write the fills of the period as CSV (with --csv)")
        .option('--csv <file>', 'with export: the CSV file to write'),
      true,
    ).option('--json', 'print the summary (or, with export, {rows, file, period}) as one JSON object'),
  ).action(async (action: string | undefined, flags: PnlInputFlags & { csv?: string }) => {
    if (action !== undefined && action !== 'export') throw new InputError(`pnl: unknown action '${action}' (expected export)`)
    if (action === 'export') {
      if (flags.csv === undefined) throw new InputError('pnl export: --csv FILE is required')
      await exportCsv({ ...flags, csv: flags.csv })
      return
    }
    if (flags.csv !== undefined) throw new InputError("--csv: only with 'sofia pnl export'")
    const period = parsePeriod('--period', flags.period ?? 'all', Date.now())
    const { marks, fileCosts } = await readPnlInputs(flags)
    const { summary, legs } = await withStore(flags, async (store) => {
      const costs = await allCosts(store, fileCosts)
      const options = { from: period.from, to: period.to, currency: flags.currency, endMarks: marks, costs }
      const summary = summarizePnl(await replayPnl(store, options), period, flags.marks)
      return { summary, legs: await pnlByLeg(store, options, period, flags.marks, undefined, summary) }
    })
    if (flags.json === true) {
      // live: what the exchange did (its costs included); simulated: the simulator's primary-leg fills.
      const brief = legsJson(legs)
      const legJson = (leg: PnlLeg) => ({ ...brief[leg], ...pnlJson(legs[leg]) })
      process.stdout.write(`${JSON.stringify({ ...pnlJson(summary), live: legJson('live'), simulated: legJson('simulated') })}\n`)
      return
    }
    let legLines = '\nby leg (net = realized − fees − costs, unrealized not included)\n'
    for (const leg of PNL_LEGS) legLines += `  ${leg.padEnd(9)} ${String(legs[leg].totals.fills).padStart(7)} fills  net ${roundText(legs[leg].totals.netPnl, 4)}\n`
    process.stdout.write(formatPnl(summary) + legLines)
  })
}

async function exportCsv(flags: ExportFlags): Promise<void> {
  const period = parsePeriod('--period', flags.period ?? 'all', Date.now())
  if (!existsSync(dirname(flags.csv))) throw new InputError(`--csv: directory ${dirname(flags.csv)} does not exist`)
  const { marks, fileCosts } = await readPnlInputs(flags)
  const rows = await withStore(flags, async (store) => {
    const replay = await replayPnl(store, {
      from: period.from,
      to: period.to,
      currency: flags.currency,
      endMarks: marks,
      costs: await allCosts(store, fileCosts),
      keepFills: true,
    })
    return writeFillsCsv(flags.csv, replay.fills)
  })
  if (flags.json === true) process.stdout.write(`${JSON.stringify({ rows, file: flags.csv, period: periodJson(period) })}\n`)
  else process.stdout.write(`wrote ${rows} fill${rows === 1 ? '' : 's'} (${period.label}) to ${flags.csv}\n`)
}
