/**
 * @module ops
 * Operator procedures: backups (and, in later issues, preflight, canary, rollback, reports and replay).
 */
export { createBackup, checkBackup, restoreBackup, BACKUP_FORMAT, MANIFEST, DEFAULT_CONFIG } from './backup.js'
export type { BackupManifest, BackupFile, BackupCheck, RestoreResult, StoreLocation, CreateBackupOptions } from './backup.js'
export {
  computePnl,
  computeAttribution,
  generateDailyReport,
  buildDailyReport,
  replayPnl,
  parsePeriod,
  readCostsFile,
  readMarksFile,
  DAILY_REPORT_KIND,
} from './pnl/index.js'
export type { PnlSummary, Attribution, DailyReport, DailyReportResult, ReportSender, CostRecord, Period } from './pnl/index.js'
export {
  CanaryOrchestrator,
  StrategyRegistry,
  RollbackHooks,
  DriftMonitor,
  OnlineUpdateGate,
  executeRollback,
  planRollback,
  validateStrategy,
  runCanaryBacktest,
  loadCanaryConfig,
  deflatedSharpe,
  probabilityOfBacktestOverfitting,
  psi,
  ksTwoSample,
  modelDriftAlertRules,
  registerDriftMetrics,
  attachToRouter,
  TwinLegsSource,
} from './canary/index.js'
export type { CanaryConfig, CanaryState, CanaryMetricsSource, RollbackReport, ValidationReport, RegisteredVersion, StageEvaluation } from './canary/index.js'
