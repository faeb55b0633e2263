/**
 * @module cli/commands/report
 * `sofia report daily | attribution | eod`: the operator's end-of-day reports. `daily` writes
 * `<data-dir>/reports/daily/daily_report_YYYY-MM-DD.{md,json,html}` and records it in the store; `eod` runs
 * reconciliation (when available) and the daily report, and exits 1 when reconciliation found discrepancies.
 */
import type { Command } from 'commander'
import {
  ATTRIBUTION_HEADER,
  attributionJson,
  attributionRowCells,
  computeAttribution,
  dailyReportJson,
  formatDailySummary,
  generateDailyReport,
  parseUtcDate,
  periodJson,
  readReconciliationStatus,
  textTable,
  utcDate,
  utcDayStart,
} from '../../ops/pnl/index.js'
import type { DailyReportResult, ReconciliationStatus } from '../../ops/pnl/index.js'
import { notifierReportSender } from '../../system/index.js'
import { EXIT_PROBLEM } from '../exit.js'
import { addStoreOptions, dataDirOf, withStore } from '../store-option.js'
import { addPnlInputOptions, allCosts, readPnlInputs } from './pnl.js'
import { runReconcile } from './reconcile.js'
import { sessionConfig } from '../session-config.js'
import type { PnlInputFlags } from './pnl.js'

interface ReportFlags extends PnlInputFlags {
  date?: string
  config?: string
  /** eod: the exchange's API base URL (e.g. the local exchange), as `sofia reconcile --url`. */
  url?: string
  /** Commander turns --no-send into send: false. */
  send?: boolean
}

function dayOf(flags: ReportFlags): number {
  return flags.date === undefined ? utcDayStart(Date.now()) : parseUtcDate('--date', flags.date)
}

function dailyOptions(cmd: Command): Command {
  return addStoreOptions(
    addPnlInputOptions(cmd.option('--date <YYYY-MM-DD>', 'the UTC day (default today)'), false)
      .option('--config <file>', 'configuration file (default ./sofia.yaml when present): risk.maxDailyLoss for alert rules, the exchange for eod')
      .option('--no-send', 'write and record the report but do not send it')
      .option('--json', 'print {date, files, send, report} as JSON'),
  )
}

async function runDaily(flags: ReportFlags, reconciliation: ReconciliationStatus | undefined): Promise<DailyReportResult> {
  const day = dayOf(flags)
  const { marks, fileCosts } = await readPnlInputs(flags)
  const dataDir = dataDirOf(flags)
  const send = flags.send !== false
  // The alerts file names the notifiers; its rules may name risk.maxDailyLoss, resolved as `serve` does.
  const sender = send ? await notifierReportSender({ dataDir, maxDailyLoss: (await sessionConfig(flags)).risk.limits.maxDailyLoss?.toNumber() }) : undefined
  return withStore(flags, async (store) => {
    const rec = reconciliation
    return generateDailyReport(store, {
      day,
      dataDir,
      currency: flags.currency,
      marks,
      marksSource: flags.marks,
      costs: await allCosts(store, fileCosts),
      reconciliation: rec,
      send,
      sender,
    })
  })
}

function printDaily(flags: ReportFlags, r: DailyReportResult, extra: Record<string, unknown> = {}): void {
  if (flags.json === true) {
    process.stdout.write(
      `${JSON.stringify({ date: r.report.date, ...extra, files: r.files, send: { sent: r.send.sent, reason: r.send.reason ?? null }, elapsedMs: Math.round(r.elapsedMs), report: dailyReportJson(r.report) })}\n`,
    )
    return
  }
  let out = formatDailySummary(r.report)
  out += `wrote ${r.files.markdown}\n      ${r.files.json}\n      ${r.files.html}\n`
  out += r.send.sent ? 'sent\n' : `not sent: ${r.send.reason ?? 'unknown'}\n`
  process.stdout.write(out)
}

export function registerReport(program: Command): void {
  const report = program
    .command('report')
    .summary('daily report, profit attribution and the end-of-day run')
    .description('Reports built from the store: P&L, attribution, trades, risk events, reconciliation status.')

  dailyOptions(
    report
      .command('daily')
      .summary('write the daily report (Markdown, JSON, HTML with equity and drawdown charts) and send it')
      .description(
        'Writes <data-dir>/reports/daily/daily_report_YYYY-MM-DD.{md,json,html} for one UTC day, records it in the\n' +
          "store's reports index and sends it through the configured notifier unless --no-send.",
      ),
  ).action(async (flags: ReportFlags) => {
    printDaily(flags, await runDaily(flags, undefined))
  })

  addStoreOptions(
    addPnlInputOptions(
      report
        .command('attribution')
        .summary("split a day's net P&L into alpha, slippage, inventory, fees and costs (exact)")
        .description(
          'For one UTC day, by strategy, venue and symbol:\n' +
            '  net = alpha − slippage + inventory − fees − costs, exactly, where\n' +
            '  alpha     = Σ s·a·(end mark − decision price)   (s = +1 buy, −1 sell; a = amount)\n' +
            '  slippage  = Σ s·a·(fill price − decision price)  (> 0 cost us)\n' +
            '  inventory = start position × (end mark − start mark)\n' +
            '  net       = realized + change in unrealized − fees − costs (mark-to-market)',
        )
        .option('--date <YYYY-MM-DD>', 'the UTC day (default today)')
        .option('--config <file>', 'configuration file (default ./sofia.yaml when present); validated like the other reports'),
      false,
    ).option('--json', 'print the attribution as one JSON object (exact decimals as strings)'),
  ).action(async (flags: ReportFlags) => {
    const day = dayOf(flags)
    await sessionConfig(flags)
    const { marks, fileCosts } = await readPnlInputs(flags)
    const a = await withStore(flags, async (store) =>
      computeAttribution(store, { day, currency: flags.currency, marks, costs: await allCosts(store, fileCosts) }),
    )
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(attributionJson(a))}\n`)
      return
    }
    const p = periodJson(a.period)
    let out = `attribution ${a.period.label} (UTC ${p.from} → ${p.to}) in ${a.currency}\n`
    out += `net ${a.totals.netPnl} = alpha ${a.totals.alpha} − slippage ${a.totals.slippage} + inventory ${a.totals.inventory} − fees ${a.totals.fees} − costs ${a.totals.costs}\n`
    out += `(net = realized ${a.totals.realizedPnl} + change in unrealized ${a.totals.unrealizedChange} − fees − costs; end marks: last fill price per venue:symbol${flags.marks === undefined ? '' : ` or ${flags.marks}`})\n`
    for (const [title, rows] of [
      ['strategy', a.byStrategy],
      ['venue', a.byVenue],
      ['symbol', a.bySymbol],
    ] as const) {
      out += `\nby ${title}\n${textTable([title, ...ATTRIBUTION_HEADER.slice(1)], [...rows.map((r) => attributionRowCells(r)), attributionRowCells(a.totals)])}`
    }
    process.stdout.write(out)
  })

  dailyOptions(
    report
      .command('eod')
      .option('--url <url>', "the exchange's API base URL (default sofia.yaml exchange.urls.api), e.g. the local exchange")
      .summary('end of day: reconciliation, then the daily report (exit 1 on discrepancies)')
      .description(
        "With an exchange configured (sofia.yaml exchange.id / EXCHANGE), first reconciles the day's fills against the\n" +
          "exchange's own records (sofia reconcile --live); otherwise takes the day's latest 'sofia reconcile' report.\n" +
          'Then writes (and sends) the daily report with it. Exits 1 when reconciliation found discrepancies.',
      ),
  ).action(async (flags: ReportFlags) => {
    const day = dayOf(flags)
    const { config } = await sessionConfig(flags)
    if (config.exchange !== undefined) {
      // The runbook's EOD step: the day's fills against the exchange's records; a failure halts trading.
      await runReconcile({
        ...flags,
        live: true,
        from: String(day),
        to: String(day + 86_400_000),
        priceTolerance: '0.001',
        amountTolerance: '0',
        feeTolerance: '0',
        timeWindowMs: '1000',
        halt: true,
        // With --json each step prints its own JSON line: the reconciliation's, then the daily report's.
        json: flags.json === true,
      })
    }
    const latest = await readReconciliationStatus(dataDirOf(flags))
    const fresh = latest.at !== undefined && Date.parse(latest.at) >= day
    const rec: ReconciliationStatus = fresh
      ? latest
      : {
          status: 'not run',
          file: undefined,
          at: undefined,
          counts: undefined,
          reason: `no reconciliation report for ${utcDate(day)} and no exchange configured: run 'sofia reconcile --exchange-file FILE' first`,
        }
    const result = await runDaily(flags, rec)
    const r = result.report.reconciliation
    printDaily(flags, result, { reconciliation: { status: r.status, file: r.file ?? null, reason: r.reason ?? null } })
    if (flags.json !== true && r.status === 'not run') process.stdout.write(`reconciliation not run: ${r.reason ?? ''}\n`)
    // Discrepancies, or a report that cannot be read, need an operator.
    if (r.status !== 'ok' && r.status !== 'not run') process.exitCode = EXIT_PROBLEM
  })
}
