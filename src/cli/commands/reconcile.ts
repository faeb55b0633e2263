/**
 * @module cli/commands/reconcile
 * `sofia reconcile`: Sofia's fills (the store, or a file) against the exchange's trades (a CCXT trades file,
 * or the exchange's API with `--live`). Writes the JSON report under `<data-dir>/reports/reconciliation/`,
 * prints a summary, exits 1 on discrepancies and trips the kill switch (trigger `reconciliation`) unless
 * `--no-halt`. `sofia reconcile clear --reason R` lifts a halt that a reconciliation caused.
 *
 * From the store or an audit export the internal side is what the account did on the exchange (reconcile/
 * legs): fills of orders the simulator took as the primary leg (shadow, canary: a `shadow.order` record)
 * are left out, and the canary's exchange fills (`canary.fill` records) are added. `--all-fills` compares
 * the recorded fills as they are.
 */
import { existsSync } from 'node:fs'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { readJsonl } from '../../audit/index.js'
import { ExchangeLegs, auditTrades, readTradeFile, reconcile, storeTrades, venueTrades } from '../../reconcile/index.js'
import type { Discrepancy, LegSelection, ReconciliationReport, SerializedTrade, TradeRecord } from '../../reconcile/index.js'
import type { Store } from '../../store/index.js'
import { OperatorConsole } from '../../system/index.js'
import type { CcxtVenue } from '../../venues/ccxt.js'
import type { OperatorResult } from '../../system/index.js'
import { parseNonNegativeInt, parseNonNegativeNumber } from '../args.js'
import { EXIT_OK, EXIT_PROBLEM } from '../exit.js'
import { actorOf, addOperatorOptions, printResult, withConsole } from '../operator-command.js'
import type { OperatorFlags } from '../operator-command.js'
import { addExchangeOptions, exchangeSpec } from '../exchange-option.js'
import type { ExchangeFlags } from '../exchange-option.js'
import { sessionConfig } from '../session-config.js'
import { dataDirOf, openStoreFromFlags } from '../store-option.js'
import { addTimeRangeOptions, timeRangeOf } from '../time-range-option.js'
import type { TimeRangeFlags } from '../time-range-option.js'

interface ReconcileFlags extends OperatorFlags, ExchangeFlags, TimeRangeFlags {
  exchangeFile?: string
  live?: boolean
  internalFile?: string
  venue?: string
  priceTolerance: string
  amountTolerance: string
  feeTolerance: string
  timeWindowMs: string
  out?: string
  halt: boolean
  /** Compare every recorded fill, the simulator's too, without the canary's exchange fills (optional: `report eod` passes none). */
  allFills?: boolean
}

interface ClearFlags extends OperatorFlags {
  reason: string
}

/** How many discrepancies the summary shows (the report has them all). */
const SHOWN = 5

export function registerReconcile(program: Command): void {
  const cmd = addOperatorOptions(
    addTimeRangeOptions(
      program
        .command('reconcile')
        .summary("check Sofia's fills against the exchange's trades; halt trading on a discrepancy")
        .description(
          "Matches Sofia's fills (the store, or --internal-file) with the exchange's own trade records " +
            '(--exchange-file: CCXT unified trades as a JSON array or JSONL) by trade id, then by (order id, time, ' +
            'amount). From the store or an audit export, Sofia\'s side is what the account did on the exchange: fills the ' +
            'simulator made in shadow/canary mode are left out, the canary\'s exchange fills added (--all-fills: every fill as ' +
            'recorded). Reports missing, duplicate and mismatched trades and differing positions, writes the JSON ' +
            'report to <data-dir>/reports/reconciliation/, and exits 1 when anything differs, tripping the kill ' +
            "switch (trigger 'reconciliation') unless --no-halt. Clear it with 'sofia reconcile clear --reason ...'.",
        )
        .option('--exchange-file <file>', "the exchange's trades: CCXT unified trades, JSON array or JSONL")
        .option('--internal-file <file>', "Sofia's fills from a file (CCXT trades, or an audit export) instead of the store")
        .option('--venue <id>', 'only this venue; also the venue of exchange trades that name none'),
      'first trade time',
    )
      .option('--price-tolerance <ratio>', 'relative price difference still accepted', '0.001')
      .option('--amount-tolerance <ratio>', 'relative amount difference still accepted', '0')
      .option('--fee-tolerance <ratio>', 'relative fee difference still accepted', '0')
      .option('--time-window-ms <ms>', 'how far apart fills of one order may be to match without a trade id', '1000')
      .option('--out <file>', 'also write the JSON report here')
      .option('--no-halt', 'analysis only: never trip the kill switch')
      .option(
        '--all-fills',
        "compare every recorded fill as it is. By default (store or audit export) fills of orders the simulator took in shadow or canary mode (a 'shadow.order' record) are left out and the canary's exchange fills ('canary.fill' records) are added",
      )
      .option('--live', "fetch the exchange's own trade records through its API (fetchMyTrades; exchange from sofia.yaml, EXCHANGE or --exchange/--url)"),
  )
  addExchangeOptions(cmd).action(async (flags: ReconcileFlags) => {
    await runReconcile(flags)
  })

  addOperatorOptions(
    cmd
      .command('clear')
      .summary('deactivate the kill switch after a failed reconciliation (only when a reconciliation tripped it)')
      .requiredOption('--reason <text>', 'why trading may resume (recorded with your name)'),
  ).action(async (own: ClearFlags, self: Command) => {
    // `reconcile` has the same operator options, and Commander gives them to it when they follow `clear`.
    const parent = (self.parent?.opts() ?? {}) as OperatorFlags
    const flags: ClearFlags = { ...own }
    for (const key of ['dataDir', 'db', 'config', 'actor', 'json'] as const) {
      if (flags[key] === undefined && parent[key] !== undefined) Object.assign(flags, { [key]: parent[key] })
    }
    await withConsole(flags, async (c) => {
      const ks = (await c.status()).killSwitch
      if (!ks.active) {
        process.stdout.write(flags.json === true ? `${JSON.stringify({ ok: true, changed: false, state: ks })}\n` : 'nothing to clear: the kill switch is inactive\n')
        return
      }
      if (ks.trigger !== 'reconciliation') {
        const why = `the kill switch was tripped by ${ks.trigger ?? '?'} (${ks.actor ?? '?'}: ${ks.reason ?? ''}), not by a reconciliation; use 'sofia kill-switch deactivate'`
        process.stdout.write(flags.json === true ? `${JSON.stringify({ ok: false, error: why, state: ks })}\n` : `refused: ${why}\n`)
        process.exitCode = EXIT_PROBLEM
        return
      }
      const r = await c.execute('kill_switch.deactivate', { reason: flags.reason, clearsReconciliation: true }, actorOf(flags))
      printResult(flags, r, () => 'reconciliation halt cleared: kill switch INACTIVE')
    })
  })
}

/** Runs a reconciliation (also `report eod`'s first step). Exit code in process.exitCode; returns the report file. */
export async function runReconcile(flags: ReconcileFlags): Promise<string | undefined> {
  if (flags.exchangeFile === undefined && flags.live !== true) {
    throw new InputError('an exchange source is required: pass --exchange-file FILE (CCXT unified trades, JSON array or JSONL) or --live')
  }
  if (flags.exchangeFile !== undefined && flags.live === true) throw new InputError('give either --exchange-file or --live, not both')
  const exchangeFile = flags.exchangeFile
  const { from, to } = timeRangeOf(flags)
  for (const [name, value] of [['--price-tolerance', flags.priceTolerance], ['--amount-tolerance', flags.amountTolerance], ['--fee-tolerance', flags.feeTolerance]] as const) {
    parseNonNegativeNumber(name, value)
  }
  const timeWindowMs = parseNonNegativeInt('--time-window-ms', flags.timeWindowMs)
  if (exchangeFile !== undefined && !existsSync(exchangeFile)) throw new InputError(`cannot read ${exchangeFile}: no such file`)
  if (flags.internalFile !== undefined && !existsSync(flags.internalFile)) throw new InputError(`cannot read ${flags.internalFile}: no such file`)

  // The store holds the internal fills (unless a file does) and the kill switch a failure trips.
  let store: Store | undefined
  if (flags.internalFile === undefined || flags.halt) {
    try {
      store = await openStoreFromFlags(flags, { create: false })
    } catch (error) {
      if (flags.internalFile === undefined || !(error instanceof InputError)) throw error
    }
  }
  let live: CcxtVenue | undefined
  try {
    const internal = await internalSource(flags, store, from, to)
    let venue = flags.venue ?? (await firstVenue(internal.peek())) ?? internal.legs?.venues.values().next().value
    let exchange: AsyncIterable<TradeRecord[]>
    let exchangeLabel: string
    if (exchangeFile !== undefined) {
      exchange = flags.venue === undefined ? readTradeFile(exchangeFile) : onlyVenue(readTradeFile(exchangeFile), flags.venue)
      exchangeLabel = `file:${exchangeFile}`
    } else {
      const { config } = await sessionConfig(flags)
      const spec = exchangeSpec(config, flags)
      venue ??= spec.exchangeId
      const { CcxtVenue, createCcxtExchange } = await import('../../venues/ccxt.js')
      live = await CcxtVenue.connect({ id: venue, exchange: createCcxtExchange(spec), watch: false })
      const symbols = await symbolsOf(internal.peek(), internal.legs?.symbols)
      exchange = venueTrades(live, {
        ...(symbols.length > 0 ? { symbols } : {}),
        ...(from !== undefined ? { since: from } : {}),
        ...(to !== undefined ? { until: to } : {}),
      })
      exchangeLabel = `exchange:${spec.exchangeId}${spec.url !== undefined ? `@${spec.url}` : ''}`
    }
    const reconciled = await reconcile(internal.open(), exchange, {
      priceTolerance: flags.priceTolerance,
      amountTolerance: flags.amountTolerance,
      feeTolerance: flags.feeTolerance,
      timeWindowMs,
      ...(venue !== undefined ? { venue } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      sources: { internal: internal.label, exchange: exchangeLabel },
    })
    const report = withLegs(reconciled, internal.legs?.selection())
    const reportFile = await writeReport(flags, report)
    let halt: OperatorResult<'reconciliation.failed'> | undefined
    let haltNote: string | undefined
    if (report.status !== 'ok' && flags.halt) {
      if (store === undefined) haltNote = 'no Sofia database here: nothing to halt'
      else {
        const { config } = await sessionConfig(flags)
        const c = new OperatorConsole(store, config.risk.killSwitch)
        halt = await c.execute('reconciliation.failed', { reason: haltReason(report, reportFile) }, actorOf(flags))
      }
    }
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify({ ...report, reportFile, halt: halt ?? null })}\n`)
    } else {
      process.stdout.write(formatSummary(report, reportFile, flags.out))
      process.stdout.write(`${haltLine(flags, report, halt, haltNote)}\n`)
    }
    process.exitCode = report.status === 'ok' ? EXIT_OK : EXIT_PROBLEM
    return reportFile
  } finally {
    await live?.close()
    await store?.close()
  }
}

/**
 * The symbols Sofia traded in the period (the simulator's fills too: the same venue, and harmless to fetch),
 * and the canary's: the ones whose exchange history is fetched.
 */
async function symbolsOf(batches: AsyncIterable<TradeRecord[]>, more: ReadonlySet<string> = new Set()): Promise<string[]> {
  const seen = new Set<string>(more)
  for await (const batch of batches) for (const t of batch) seen.add(t.symbol)
  return [...seen].sort()
}

interface InternalSource {
  readonly label: string
  /** A fresh pass over the fills (the reconciliation reads one). */
  open(): AsyncIterable<TradeRecord[]>
  /** A cheap pass over the recorded fills, before any selection: their venue and symbols. */
  peek(): AsyncIterable<TradeRecord[]>
  /** The exchange-leg selection, unless --all-fills or a CCXT file. */
  readonly legs?: ExchangeLegs
}

async function internalSource(flags: ReconcileFlags, store: Store | undefined, from: number | undefined, to: number | undefined): Promise<InternalSource> {
  const file = flags.internalFile
  const range = { ...(flags.venue !== undefined ? { venue: flags.venue } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }
  if (file === undefined) {
    const s = store as Store
    const filter = { ...(flags.venue !== undefined ? { venue: flags.venue } : {}), ...(from !== undefined ? { since: from } : {}), ...(to !== undefined ? { until: to } : {}) }
    const label = `store:${s.location}`
    const all = () => storeTrades(s, filter)
    if (flags.allFills === true) return { label, open: all, peek: all }
    const legs = await ExchangeLegs.scan(() => s.iterateAudit({}, 5000), { ...range, label: `${label} audit chain` })
    return { label, open: () => legs.storeTrades(s, filter), peek: all, legs }
  }
  const audit = await isAuditExport(file)
  const only = flags.venue
  const pass = audit ? () => auditTrades(file) : () => readTradeFile(file)
  const recorded = only === undefined ? pass : () => onlyVenue(pass(), only)
  const label = `${audit ? 'audit' : 'file'}:${file}`
  if (!audit || flags.allFills === true) return { label, open: recorded, peek: recorded }
  const legs = await ExchangeLegs.scan(() => readJsonl(file), { ...range, label: file })
  return { label, open: () => legs.auditTrades(), peek: recorded, legs }
}

/** The report with the exchange-leg selection in `inputs.internal.legs`. */
function withLegs(report: ReconciliationReport, legs: LegSelection | undefined): ReconciliationReport {
  if (legs === undefined) return report
  return { ...report, inputs: { ...report.inputs, internal: { ...report.inputs.internal, legs } } }
}

async function* onlyVenue(batches: AsyncIterable<TradeRecord[]>, venue: string): AsyncGenerator<TradeRecord[], void, undefined> {
  for await (const batch of batches) yield batch.filter((t) => t.venue === undefined || t.venue === venue)
}

/** An audit export's lines carry `prevHash`; a CCXT trade never does. */
async function isAuditExport(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0)
    const head = buffer.subarray(0, bytesRead).toString('utf8').trimStart()
    return head.startsWith('{') && /"prevHash"\s*:/.test(head.split('\n')[0] ?? '')
  } finally {
    await handle.close()
  }
}

/** The venue of the first internal fill: what a CCXT file's venue-less trades are taken to be on. */
async function firstVenue(batches: AsyncIterable<TradeRecord[]>): Promise<string | undefined> {
  try {
    for await (const batch of batches) {
      if (batch.length > 0) return batch[0]?.venue
    }
  } catch {
    // A bad file says so in the real pass.
  }
  return undefined
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('.', '')
}

async function writeReport(flags: ReconcileFlags, report: ReconciliationReport): Promise<string> {
  const base = flags.db !== undefined && flags.dataDir === undefined ? dirname(flags.db) : dataDirOf(flags)
  const dir = join(base, 'reports', 'reconciliation')
  await mkdir(dir, { recursive: true })
  const text = `${JSON.stringify(report, null, 2)}\n`
  const name = `reconciliation_${stamp(Date.parse(report.generatedAt))}`
  let file = join(dir, `${name}.json`)
  for (let n = 2; existsSync(file); n++) file = join(dir, `${name}-${n}.json`)
  await writeFile(file, text, { flag: 'wx' })
  if (flags.out !== undefined) await writeFile(flags.out, text)
  return file
}

function haltReason(report: ReconciliationReport, reportFile: string): string {
  return `RECONCILIATION: ${report.counts.discrepancies} discrepancies (${byTypeText(report)}); report ${reportFile}`
}

function byTypeText(report: ReconciliationReport): string {
  return Object.entries(report.counts.byType)
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ')
}

function haltLine(flags: ReconcileFlags, report: ReconciliationReport, halt: OperatorResult<'reconciliation.failed'> | undefined, note: string | undefined): string {
  if (report.status === 'ok') return 'trading not affected'
  if (!flags.halt) return 'not halting (--no-halt)'
  if (note !== undefined) return note
  if (halt === undefined) return ''
  if (!halt.ok) {
    process.exitCode = EXIT_PROBLEM
    return `could not trip the kill switch: ${halt.error ?? 'unknown reason'}`
  }
  const { changed, state } = halt.result
  if (changed) return `kill switch ACTIVE (trigger reconciliation): trading halted until 'sofia reconcile clear --reason ...'`
  if (state.active) return `kill switch already ACTIVE (trigger ${state.trigger ?? '?'})`
  return 'kill switch not tripped: KILL_SWITCH=OFF ignores automatic triggers'
}

function tradeLine(t: SerializedTrade): string {
  const fee = t.fee === null ? 'fee ?' : `fee ${t.fee.cost} ${t.fee.currency}`
  return `${t.datetime} ${t.side} ${t.amount} ${t.symbol} @ ${t.price}, ${fee}, id ${t.id}, order ${t.order ?? '-'}`
}

function discrepancyLines(d: Discrepancy): string[] {
  const where = [d.venue, d.symbol, d.id === null ? null : `trade ${d.id}`].filter((x) => x !== null && x !== '').join(' ')
  const values = d.internalValue !== null || d.exchangeValue !== null ? `: internal ${d.internalValue ?? '-'} vs exchange ${d.exchangeValue ?? '-'}` : ''
  const rel = d.relativeDifference !== null ? ` (relative ${d.relativeDifference})` : ''
  const lines = [`  ${d.type}  ${where}${values}${rel}: ${d.detail}`]
  for (const t of d.internal) lines.push(`      internal  ${tradeLine(t)}`)
  for (const t of d.exchange) lines.push(`      exchange  ${tradeLine(t)}`)
  return lines
}

function legsLines(legs: LegSelection | undefined): string[] {
  if (legs === undefined) return []
  return [
    `            exchange legs only: ${legs.kept} recorded fills kept, ${legs.excludedSimulated} left out as simulated (shadow/canary), ` +
      `${legs.canaryFills} canary exchange fills added from the audit chain`,
  ]
}

/** The human summary: counts, the first discrepancies with both sides, positions that differ. */
export function formatSummary(report: ReconciliationReport, reportFile: string, out?: string): string {
  const c = report.counts
  const lines = [
    `reconciliation ${report.status === 'ok' ? 'OK' : `found ${c.discrepancies} discrepancies`}`,
    `  internal  ${report.inputs.internal.source}: ${report.inputs.internal.records} fills`,
    ...legsLines(report.inputs.internal.legs),
    `  exchange  ${report.inputs.exchange.source}: ${report.inputs.exchange.records} trades`,
    `  matched   ${c.matched} (${c.matchedWithDifference} with differences within tolerance); pairs ${c.pairs}: ${c.pairsById} by trade id, ${c.pairsByOrder} by order/time/amount`,
  ]
  if (c.discrepancies > 0) {
    lines.push(`  by type   ${byTypeText(report)}`)
    lines.push(c.discrepancies > SHOWN ? `first ${SHOWN} of ${c.discrepancies}:` : 'discrepancies:')
    for (const d of report.discrepancies.slice(0, SHOWN)) lines.push(...discrepancyLines(d))
  }
  const differing = report.positions.filter((p) => p.status === 'mismatch')
  for (const p of differing) {
    const why = p.explained ? ' (the trade discrepancies above account for it)' : ''
    lines.push(`  ${p.kind} ${p.venue !== null ? `${p.venue} ` : ''}${p.key}: internal ${p.internal} vs exchange ${p.exchange}${why}`)
  }
  lines.push(`report: ${reportFile}${out !== undefined ? ` (and ${out})` : ''}`)
  return `${lines.join('\n')}\n`
}
