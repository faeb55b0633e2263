/**
 * @module ops/pnl
 * P&L accounting, profit attribution and daily reports, all built from one replay of the store's fills through
 * the ledger (exact Decimal throughout).
 */
export { DAY_MS, utcDayStart, utcDate, parseUtcDate, parsePeriod, dayPeriod, periodJson } from './period.js'
export type { Period } from './period.js'
export { COST_KINDS, COSTS_STATE_KEY, parseCostRecord, parseCostsJsonl, readCostsFile, loadStoredCosts, costJson } from './costs.js'
export type { CostKind, CostRecord } from './costs.js'
export { markKey, lookupMark, parseMarks, readMarksFile } from './marks.js'
export type { MarkTable } from './marks.js'
export { reportSource, portSource, sqliteSource, isRiskAuditType } from './source.js'
export type { ReportSource, ReportFill, OrderGroup, RiskAuditRecord } from './source.js'
export { replayPnl, Replay, bookKey, ORDER_OUTCOMES, UNTAGGED, emptyOrderCounts } from './replay.js'
export type {
  ReplayOptions,
  ReplayResult,
  PnlCell,
  FillPnl,
  BookState,
  OrderCounts,
  OrderOutcome,
  EquitySamplePoint,
  ValuedCost,
} from './replay.js'
export {
  computePnl,
  summarizePnl,
  fillSlippageBps,
  rowSlippageBps,
  fillRate,
  pnlJson,
  pnlRowJson,
  formatPnl,
  textTable,
  roundText,
  unrealized,
} from './pnl.js'
export type { PnlRow, PnlSummary, PnlOptions } from './pnl.js'
export {
  attribute,
  computeAttribution,
  attributionJson,
  attributionRowCells,
  sumOfParts,
  ATTRIBUTION_HEADER,
  ATTRIBUTION_PARTS,
} from './attribution.js'
export type { Attribution, AttributionRow, AttributionOptions } from './attribution.js'
export { CSV_COLUMNS, csvField, csvRow, writeFillsCsv } from './csv.js'
export { uplotAssets, renderHtml, extractEmbeddedData, scriptJson, escapeHtml, htmlTable, DATA_ELEMENT_ID } from './html.js'
export type { ChartData, HtmlSection } from './html.js'
export {
  DAILY_REPORT_KIND,
  buildDailyReport,
  generateDailyReport,
  dailyReportJson,
  dailyReportPaths,
  renderMarkdown,
  renderDailyHtml,
  formatDailySummary,
  readRiskEvents,
  readReconciliationStatus,
} from './daily.js'
export type {
  ReportSender,
  DailyReport,
  DailyReportOptions,
  DailyReportFiles,
  DailyReportResult,
  SendResult,
  ReconciliationStatus,
  RiskEvents,
  TopFill,
} from './daily.js'
export { PNL_LEGS, legSource, legsJson, pnlByLeg } from './legs.js'
export type { PnlLeg } from './legs.js'
export { roundTrips } from './round-trips.js'
export type { RoundTrip } from './round-trips.js'
