/**
 * @module ops/pnl/daily
 * The daily report (DESIGN.md §9, `sofia report daily`): one UTC day's P&L and its attribution, trades, fill
 * rate, slippage, risk events (risk denials by code, kill-switch activity, alerts, from the audit chain),
 * reconciliation status, top winners and losers, and the equity and drawdown curves. Written as
 * `<data-dir>/reports/daily/daily_report_YYYY-MM-DD.{md,json,html}`, recorded in the store's reports index,
 * and handed to a {@link ReportSender} when one is configured.
 *
 * One replay of the store feeds every section (see replay.ts), so the numbers agree with `sofia pnl` and
 * `sofia report attribution` for the same day.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { payloadOf } from '../../audit/index.js'
import type { Decimal } from '../../model/index.js'
import { ZERO } from '../../model/index.js'
import type { Store } from '../../store/index.js'
import { attribute, attributionJson, attributionRowCells, ATTRIBUTION_HEADER } from './attribution.js'
import type { Attribution } from './attribution.js'
import type { CostRecord } from './costs.js'
import { htmlTable, renderHtml } from './html.js'
import type { ChartData, HtmlSection } from './html.js'
import type { MarkTable } from './marks.js'
import { dayPeriod } from './period.js'
import { fillRate, pnlJson, pnlTable, roundText, summarizePnl } from './pnl.js'
import type { PnlSummary } from './pnl.js'
import { replayPnl } from './replay.js'
import { PNL_LEGS, legsJson, pnlByLeg } from './legs.js'
import type { PnlLeg } from './legs.js'
import { reportSource } from './source.js'
import type { ReportSource } from './source.js'
import type { FillPnl, OrderCounts } from './replay.js'

/** Delivers a finished report (the notifier layer implements it: webhook, Slack, e-mail …). */
export interface ReportSender {
  send(subject: string, markdown: string): Promise<void>
}

export const DAILY_REPORT_KIND = 'daily'
const TOP_N = 5
const EQUITY_POINTS = 720

export interface ReconciliationStatus {
  /** `ok`, `discrepancies`, the status the file gives, or `not run`. */
  readonly status: string
  readonly file: string | undefined
  readonly at: string | undefined
  readonly counts: Readonly<Record<string, number>> | undefined
  readonly reason: string | undefined
}

export interface RiskEvents {
  readonly deniedTotal: number
  readonly deniedByCode: Readonly<Record<string, number>>
  readonly killSwitch: readonly { readonly ts: string; readonly type: string; readonly actor: string; readonly reason: string; readonly trigger: string | null }[]
  readonly alerts: readonly { readonly ts: string; readonly name: string; readonly level: string; readonly detail: string }[]
  /** Alerts beyond the ones listed (the list keeps the first 200). */
  readonly alertsNotListed: number
}

export interface TopFill {
  readonly ts: string
  readonly tradeId: string
  readonly strategy: string
  readonly venue: string
  readonly symbol: string
  readonly side: string
  readonly amount: string
  readonly price: string
  /** Realized gross − the fill's fee. */
  readonly netPnl: Decimal
}

export interface DailyReport {
  readonly date: string
  readonly generatedAt: string
  readonly currency: string
  readonly pnl: PnlSummary
  /** The day's P&L by leg: `live` what the exchange did, `simulated` the simulator's (paper, shadow). */
  readonly legs: Readonly<Record<PnlLeg, PnlSummary>>
  readonly attribution: Attribution
  readonly orders: OrderCounts
  readonly fillRate: number | undefined
  readonly slippage: {
    readonly fillsWithDecision: number
    readonly adverseFills: number
    /** Share of fills (with a decision price) that executed worse than it. */
    readonly ratio: number | undefined
    readonly bps: Decimal | undefined
    readonly cost: Decimal
  }
  readonly risk: RiskEvents
  readonly reconciliation: ReconciliationStatus
  readonly topWinners: readonly TopFill[]
  readonly topLosers: readonly TopFill[]
  readonly equity: readonly { readonly timestamp: number; readonly equity: Decimal; readonly drawdown: Decimal }[]
  readonly maxDrawdown: Decimal
}

export interface DailyReportOptions {
  /** Start of the UTC day. */
  readonly day: number
  readonly dataDir: string
  readonly currency?: string | undefined
  readonly marks?: MarkTable | undefined
  readonly marksSource?: string | undefined
  readonly costs?: readonly CostRecord[] | undefined
  /** Overrides the reconciliation status read from `<data-dir>/reports/reconciliation/` (e.g. from `report eod`). */
  readonly reconciliation?: ReconciliationStatus | undefined
  readonly now?: number
}

export interface DailyReportFiles {
  readonly markdown: string
  readonly json: string
  readonly html: string
}

export interface SendResult {
  readonly sent: boolean
  /** Why not, when not sent. */
  readonly reason: string | undefined
}

// ---- gathering -------------------------------------------------------------------------------------------

/** Risk denials, kill-switch records and alerts of [from, to) from the audit chain. */
export async function readRiskEvents(source: ReportSource, from: number, to: number): Promise<RiskEvents> {
  const deniedByCode: Record<string, number> = {}
  let deniedTotal = 0
  const killSwitch: RiskEvents['killSwitch'][number][] = []
  const alerts: RiskEvents['alerts'][number][] = []
  let alertsNotListed = 0
  // Records of older chains may hold other shapes: a member that is not text reads as ''.
  const text = (v: unknown): string => (typeof v === 'string' ? v : '')
  for (const r of await source.riskAudit(from, to)) {
    const denied = payloadOf(r, 'risk.denied')
    const alert = payloadOf(r, 'alert')
    if (denied !== undefined) {
      const code = text(denied.code) || 'UNKNOWN'
      deniedByCode[code] = (deniedByCode[code] ?? 0) + 1
      deniedTotal++
    } else if (r.type.startsWith('kill_switch.')) {
      // Any kill_switch.* record an older chain holds is listed, so this one reads by prefix.
      const p = (typeof r.payload === 'object' && r.payload !== null ? r.payload : {}) as { reason?: unknown; trigger?: unknown }
      killSwitch.push({ ts: new Date(r.ts).toISOString(), type: r.type, actor: r.actor, reason: text(p.reason), trigger: text(p.trigger) || null })
    } else if (alert !== undefined) {
      if (alerts.length < 200) alerts.push({ ts: new Date(r.ts).toISOString(), name: text(alert.name), level: text(alert.level), detail: text(alert.detail) })
      else alertsNotListed++
    }
  }
  return { deniedTotal, deniedByCode, killSwitch, alerts, alertsNotListed }
}

/**
 * The newest reconciliation report in `<data-dir>/reports/reconciliation/` (by modification time), read
 * leniently: `status` (or `ok` true/false), and `counts` (or `summary`) of numbers, or a `discrepancies` list.
 */
export async function readReconciliationStatus(dataDir: string): Promise<ReconciliationStatus> {
  const dir = join(dataDir, 'reports', 'reconciliation')
  const notRun = (reason: string): ReconciliationStatus => ({ status: 'not run', file: undefined, at: undefined, counts: undefined, reason })
  if (!existsSync(dir)) return notRun(`no reconciliation reports in ${dir}`)
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'))
  let newest: { file: string; mtime: number } | undefined
  for (const n of names) {
    const file = join(dir, n)
    const s = await stat(file)
    if (s.isFile() && (newest === undefined || s.mtimeMs > newest.mtime)) newest = { file, mtime: s.mtimeMs }
  }
  if (newest === undefined) return notRun(`no reconciliation reports in ${dir}`)
  let doc: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(await readFile(newest.file, 'utf8'))
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object')
    doc = parsed as Record<string, unknown>
  } catch {
    return { status: 'unreadable', file: newest.file, at: new Date(newest.mtime).toISOString(), counts: undefined, reason: 'not valid JSON' }
  }
  const counts: Record<string, number> = {}
  const rawCounts = doc['counts'] ?? doc['summary']
  if (typeof rawCounts === 'object' && rawCounts !== null) {
    for (const [k, v] of Object.entries(rawCounts as Record<string, unknown>)) if (typeof v === 'number') counts[k] = v
  }
  const discrepancies = doc['discrepancies']
  if (Array.isArray(discrepancies) && counts['discrepancies'] === undefined) counts['discrepancies'] = discrepancies.length
  const status =
    typeof doc['status'] === 'string' ? doc['status'] : doc['ok'] === true ? 'ok' : doc['ok'] === false ? 'discrepancies' : 'unknown'
  const at = typeof doc['generatedAt'] === 'string' ? doc['generatedAt'] : new Date(newest.mtime).toISOString()
  return { status, file: newest.file, at, counts, reason: undefined }
}

function topFill(r: FillPnl, net: Decimal): TopFill {
  const f = r.fill
  return {
    ts: new Date(f.timestamp).toISOString(),
    tradeId: f.tradeId,
    strategy: f.strategyId,
    venue: f.venue,
    symbol: f.symbol,
    side: f.side,
    amount: f.amount,
    price: f.price,
    netPnl: net,
  }
}

/** Builds the report for one UTC day (no files written). */
export async function buildDailyReport(store: Store, options: DailyReportOptions): Promise<DailyReport> {
  const period = dayPeriod(options.day)
  const source = reportSource(store)
  const [replay, risk, reconciliation] = await Promise.all([
    replayPnl(store, {
      from: period.from,
      to: period.to,
      currency: options.currency,
      endMarks: options.marks,
      costs: options.costs,
      topFills: TOP_N,
      equityPoints: EQUITY_POINTS,
    }, source),
    readRiskEvents(source, period.from!, period.to!),
    options.reconciliation ?? readReconciliationStatus(options.dataDir),
  ])
  const pnl = summarizePnl(replay, period, options.marksSource)
  const legs = await pnlByLeg(store, { from: period.from, to: period.to, currency: options.currency, endMarks: options.marks, costs: options.costs }, period, options.marksSource, source, pnl)
  const attribution = attribute(replay, period)
  const t = pnl.totals
  let peak: Decimal | undefined
  let maxDrawdown = ZERO
  const equity = replay.equity.map((p) => {
    if (peak === undefined || p.equity.gt(peak)) peak = p.equity
    const drawdown = peak.sub(p.equity)
    if (drawdown.gt(maxDrawdown)) maxDrawdown = drawdown
    return { timestamp: p.timestamp, equity: p.equity, drawdown }
  })
  const net = (r: FillPnl): Decimal => (r.fee === undefined ? r.realizedPnl : r.realizedPnl.sub(r.fee))
  return {
    date: period.label,
    generatedAt: new Date(options.now ?? Date.now()).toISOString(),
    currency: replay.currency,
    pnl,
    legs,
    attribution,
    orders: t.orders,
    fillRate: fillRate(t.orders),
    slippage: {
      fillsWithDecision: t.fillsWithDecision,
      adverseFills: t.adverseFills,
      ratio: t.fillsWithDecision > 0 ? t.adverseFills / t.fillsWithDecision : undefined,
      bps: t.slippageBps,
      cost: t.slippageCost,
    },
    risk,
    reconciliation,
    topWinners: replay.topWinners.map((r) => topFill(r, net(r))),
    topLosers: replay.topLosers.map((r) => topFill(r, net(r))),
    equity,
    maxDrawdown,
  }
}

// ---- rendering -----------------------------------------------------------------------------------------

function topJson(t: TopFill): Record<string, unknown> {
  return { ...t, netPnl: t.netPnl.toString() }
}

/** The report as JSON (decimals as exact strings). */
export function dailyReportJson(r: DailyReport): Record<string, unknown> {
  const pnl = pnlJson(r.pnl)
  return {
    kind: DAILY_REPORT_KIND,
    date: r.date,
    generatedAt: r.generatedAt,
    currency: r.currency,
    pnl,
    // The same split as `sofia pnl --json`: net = realized − fees (− costs on the live leg), unrealized not included.
    legs: legsJson(r.legs),
    attribution: attributionJson(r.attribution),
    trades: { fills: r.pnl.totals.fills, volume: r.pnl.totals.volume.toString(), orders: r.orders, fillRate: r.fillRate ?? null, orderReasons: r.pnl.orderReasons },
    slippage: {
      fillsWithDecision: r.slippage.fillsWithDecision,
      adverseFills: r.slippage.adverseFills,
      ratio: r.slippage.ratio ?? null,
      bps: r.slippage.bps === undefined ? null : roundText(r.slippage.bps, 4),
      cost: r.slippage.cost.toString(),
    },
    risk: r.risk,
    killSwitch: r.risk.killSwitch,
    alerts: r.risk.alerts,
    reconciliation: {
      status: r.reconciliation.status,
      file: r.reconciliation.file ?? null,
      at: r.reconciliation.at ?? null,
      counts: r.reconciliation.counts ?? null,
      reason: r.reconciliation.reason ?? null,
    },
    topWinners: r.topWinners.map(topJson),
    topLosers: r.topLosers.map(topJson),
    equity: r.equity.map((p) => ({ timestamp: p.timestamp, equity: p.equity.toString(), drawdown: p.drawdown.toString() })),
    maxDrawdown: r.maxDrawdown.toString(),
  }
}

/** The daily report's P&L tables: the columns of `sofia pnl` but volume and order outcomes, reported apart. */
const DAILY_PNL_COLUMNS = ['', 'fills', 'realized', 'fees', 'costs', 'net', 'unrealized', 'win rate', 'slip bps']

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(x * 100).toFixed(1)}%`
}

interface Block {
  readonly title: string
  readonly lines?: readonly string[]
  readonly table?: { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] }
}

/** The report's content once, rendered to Markdown and HTML alike. */
function blocks(r: DailyReport): Block[] {
  const c = r.currency
  const t = r.pnl.totals
  const a = r.attribution.totals
  const o = r.orders
  const rec = r.reconciliation
  const recCounts = rec.counts === undefined ? '' : ` (${Object.entries(rec.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`
  const topRows = (list: readonly TopFill[]): string[][] =>
    list.map((x) => [x.ts.slice(11, 19), x.strategy, x.venue, x.symbol, x.side, x.amount, x.price, roundText(x.netPnl, 4)])
  const topHeader = ['time', 'strategy', 'venue', 'symbol', 'side', 'amount', 'price', `net (${c})`]
  const out: Block[] = [
    {
      title: 'Summary',
      lines: [
        `Net P&L (realized − fees − costs): ${roundText(t.netPnl, 4)} ${c}; unrealized at day end: ${roundText(t.unrealizedPnl, 4)} ${c}`,
        `By leg (net, unrealized not included): ${PNL_LEGS.map((leg) => `${leg} ${roundText(r.legs[leg].totals.netPnl, 4)} ${c} over ${r.legs[leg].totals.fills} fills`).join('; ')}`,
        `Mark-to-market net P&L of the day (unrealized included): ${roundText(a.netPnl, 4)} ${c}`,
        `Fills: ${t.fills}, volume ${roundText(t.volume, 2)} ${c}; win rate ${pct(t.winRate)} of ${t.closingFills} closing fills`,
        `Orders: ${o.closed} closed, ${o.canceled} canceled, ${o.expired} expired, ${o.rejected} rejected, ${o.denied} denied, ${o.open} open; fill rate ${pct(r.fillRate)}`,
        `Slippage vs decision price: ${roundText(r.slippage.bps, 2)} bps volume-weighted, cost ${roundText(r.slippage.cost, 4)} ${c}; slippage ratio ${pct(r.slippage.ratio)} of ${r.slippage.fillsWithDecision} fills worse than decided`,
        `Max drawdown: ${roundText(r.maxDrawdown, 4)} ${c}`,
        `Reconciliation: ${rec.status}${recCounts}${rec.reason === undefined ? '' : ` — ${rec.reason}`}${rec.file === undefined ? '' : ` (${rec.file})`}`,
        `Marks for unrealized P&L: ${r.pnl.marks.source}`,
      ],
    },
    { title: 'P&L by strategy', table: pnlTable(r.pnl.byStrategy, t, DAILY_PNL_COLUMNS) },
    { title: 'P&L by venue', table: pnlTable(r.pnl.byVenue, t, DAILY_PNL_COLUMNS) },
    { title: 'P&L by symbol', table: pnlTable(r.pnl.bySymbol, t, DAILY_PNL_COLUMNS) },
    {
      title: 'Attribution (net = alpha − slippage + inventory − fees − costs)',
      table: { header: ATTRIBUTION_HEADER, rows: [...r.attribution.byStrategy.map((x) => attributionRowCells(x)), attributionRowCells(a)] },
    },
    { title: 'Top winners', table: { header: topHeader, rows: topRows(r.topWinners) } },
    { title: 'Top losers', table: { header: topHeader, rows: topRows(r.topLosers) } },
    {
      title: 'Risk events',
      lines: [
        `Orders denied by risk: ${r.risk.deniedTotal}`,
        ...Object.entries(r.risk.deniedByCode)
          .sort(([x], [y]) => x.localeCompare(y))
          .map(([code, n]) => `- ${code}: ${n}`),
      ],
    },
    {
      title: 'Kill switch',
      ...(r.risk.killSwitch.length === 0
        ? { lines: ['No kill-switch activity.'] }
        : { table: { header: ['time', 'event', 'actor', 'trigger', 'reason'], rows: r.risk.killSwitch.map((k) => [k.ts, k.type, k.actor, k.trigger ?? '', k.reason]) } }),
    },
    {
      title: 'Alerts',
      ...(r.risk.alerts.length === 0
        ? { lines: ['No alerts.'] }
        : { table: { header: ['time', 'name', 'level', 'detail'], rows: r.risk.alerts.map((x) => [x.ts, x.name, x.level, x.detail]) } }),
    },
  ]
  if (r.pnl.orderReasons.length > 0) {
    out.splice(4, 0, {
      title: 'Orders not filled, by reason',
      table: { header: ['state', 'reason', 'orders'], rows: r.pnl.orderReasons.map((x) => [x.state, x.reason, String(x.count)]) },
    })
  }
  return out
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

export function renderMarkdown(r: DailyReport): string {
  let md = `# Sofia daily report ${r.date} (UTC)\n\nGenerated ${r.generatedAt}; amounts in ${r.currency}.\n`
  for (const b of blocks(r)) {
    md += `\n## ${b.title}\n\n`
    if (b.lines !== undefined) md += b.lines.map((l) => (l.startsWith('- ') ? l : `${l}  `)).join('\n') + '\n'
    if (b.table !== undefined) {
      if (b.table.rows.length === 0) md += '_none_\n'
      else {
        const h = b.table.header.map((x, i) => (i === 0 && x === '' ? 'key' : x))
        md += `| ${h.map(mdCell).join(' | ')} |\n|${h.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|\n`
        for (const row of b.table.rows) md += `| ${row.map(mdCell).join(' | ')} |\n`
      }
    }
  }
  return md
}

function chartData(r: DailyReport): ChartData {
  return {
    t: r.equity.map((p) => p.timestamp / 1000),
    equity: r.equity.map((p) => p.equity.toNumber()),
    drawdown: r.equity.map((p) => p.drawdown.toNumber()),
  }
}

export function renderDailyHtml(r: DailyReport): string {
  const sections: HtmlSection[] = blocks(r).map((b) => {
    let html = ''
    if (b.lines !== undefined) html += b.lines.map((l) => `<p>${l.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`).join('\n')
    if (b.table !== undefined) html += b.table.rows.length === 0 ? '<p class="note">none</p>' : htmlTable(b.table.header, b.table.rows)
    return { title: b.title, html }
  })
  return renderHtml(`Sofia daily report ${r.date} (UTC)`, sections, { currency: r.currency, chart: chartData(r), report: dailyReportJson(r) })
}

/** Short text for a terminal. */
export function formatDailySummary(r: DailyReport): string {
  const t = r.pnl.totals
  return (
    `daily report ${r.date}: net ${roundText(t.netPnl, 4)} ${r.currency} (mark-to-market ${roundText(r.attribution.totals.netPnl, 4)}), ` +
    `${t.fills} fills, fill rate ${pct(r.fillRate)}, ${r.risk.deniedTotal} risk denials, ${r.risk.killSwitch.length} kill-switch events, ` +
    `${r.risk.alerts.length + r.risk.alertsNotListed} alerts, reconciliation ${r.reconciliation.status}\n`
  )
}

export function dailyReportPaths(dataDir: string, date: string): DailyReportFiles {
  const dir = join(dataDir, 'reports', 'daily')
  const base = join(dir, `daily_report_${date}`)
  return { markdown: `${base}.md`, json: `${base}.json`, html: `${base}.html` }
}

// ---- writing and sending -------------------------------------------------------------------------------

export interface DailyReportResult {
  readonly report: DailyReport
  readonly files: DailyReportFiles
  readonly send: SendResult
  /** Wall time of building and writing, ms. */
  readonly elapsedMs: number
}

/**
 * Builds, writes (md, json, html), records in the reports index, and sends the report. `send: false` (the
 * CLI's --no-send) or no sender leaves it unsent with the reason; a sender that throws is reported, not fatal:
 * the report is already on disk and indexed.
 */
export async function generateDailyReport(
  store: Store,
  options: DailyReportOptions & { readonly send?: boolean; readonly sender?: ReportSender | undefined },
): Promise<DailyReportResult> {
  const started = performance.now()
  const report = await buildDailyReport(store, options)
  const files = dailyReportPaths(options.dataDir, report.date)
  const markdown = renderMarkdown(report)
  const json = dailyReportJson(report)
  await mkdir(join(options.dataDir, 'reports', 'daily'), { recursive: true })
  await Promise.all([
    writeFile(files.markdown, markdown),
    writeFile(files.json, `${JSON.stringify(json, null, 2)}\n`),
    writeFile(files.html, renderDailyHtml(report)),
  ])
  const t = report.pnl.totals
  await store.write({
    reports: [
      {
        kind: DAILY_REPORT_KIND,
        date: report.date,
        path: files.json,
        createdAt: options.now ?? Date.now(),
        summary: {
          files,
          currency: report.currency,
          netPnl: t.netPnl.toString(),
          markToMarketPnl: report.attribution.totals.netPnl.toString(),
          fills: t.fills,
          fillRate: report.fillRate ?? null,
          riskDenied: report.risk.deniedTotal,
          killSwitchEvents: report.risk.killSwitch.length,
          reconciliation: report.reconciliation.status,
        },
      },
    ],
  })
  const elapsedMs = performance.now() - started
  let send: SendResult
  if (options.send === false) send = { sent: false, reason: '--no-send' }
  else if (options.sender === undefined) send = { sent: false, reason: 'no notifier configured' }
  else {
    try {
      await options.sender.send(`Sofia daily report ${report.date}: net ${roundText(t.netPnl, 2)} ${report.currency}`, markdown)
      send = { sent: true, reason: undefined }
    } catch (error) {
      send = { sent: false, reason: `notifier failed: ${error instanceof Error ? error.message : String(error)}` }
    }
  }
  return { report, files, send, elapsedMs }
}
