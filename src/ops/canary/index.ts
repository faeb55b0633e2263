/**
 * @module ops/canary
 * Canary roll-outs with automatic rollback, the strategy/model registry, validation before promotion
 * (walk-forward, Deflated Sharpe Ratio, PBO) and drift monitors.
 */
export { normCdf, normInv } from './normal.js'
export { EULER_MASCHERONI, moments, periodSharpe, expectedMaxSharpe, probabilisticSharpe, deflatedSharpe, deflatedSharpeOfTrials } from './dsr.js'
export type { ReturnMoments, PsrInput, DsrInput, DsrResult } from './dsr.js'
export { probabilityOfBacktestOverfitting } from './pbo.js'
export type { PboOptions, PboResult } from './pbo.js'
export {
  psi,
  psiFromProportions,
  quantileEdges,
  binProportions,
  ksTwoSample,
  kolmogorovQ,
  registerDriftMetrics,
  modelDriftAlertRules,
  DriftMonitor,
  OnlineUpdateGate,
  DRIFT_METRICS,
  PSI_EPSILON,
} from './drift.js'
export type { KsResult, DriftGauges, FeatureDrift, UpdateVerdict } from './drift.js'
export { FREEZE_FILE, isFrozen, writeFreeze } from './freeze.js'
export type { FreezeState } from './freeze.js'
export { CANARY_CONFIG_FILE, DEFAULT_STAGES, DEFAULT_CRITERIA, DEFAULT_CANARY_CONFIG, loadCanaryConfig, parseCanaryConfig, stageIndex } from './stages.js'
export type { StageSpec, CriteriaSettings, CanaryConfig } from './stages.js'
export { CRITERIA, IMMEDIATE, evaluateCriteria, decide } from './criteria.js'
export type { CriterionName, CriterionStatus, Criterion, StageMetrics, StageEvaluation, Decision } from './criteria.js'
export { TwinLegsSource, attachToRouter } from './metrics-source.js'
export type { CanaryMetricsSource, TwinLegsOptions, LegName, RouterSession } from './metrics-source.js'
export { CanaryOrchestrator, CANARY_STATE_KEY, CANARY_STATUSES } from './orchestrator.js'
export type { CanaryState, CanaryStatus, CanaryDeployment, CanaryOrchestratorOptions, StageHistoryEntry } from './orchestrator.js'
export { controlSink, storeSink, sessionSink, unauditedSink } from './sink.js'
export type { AuditSink, AuditEntry } from './sink.js'
export { StrategyRegistry, ArtifactMismatch, ValidationFailed, VERSION_STATUSES, sha256File, strategyCodeHash } from './registry.js'
export type { VersionStatus, ModelArtifact, RegisteredVersion, RegisterRequest } from './registry.js'
export { validateStrategy, parameterGrid, DEFAULT_THRESHOLDS } from './validation.js'
export type { ValidationOptions, ValidationReport, ValidationThresholds, ValidationCriterion, FoldResult } from './validation.js'
export {
  executeRollback,
  planRollback,
  rollbackAlert,
  sessionSafety,
  storeSafety,
  consoleSafety,
  RollbackHooks,
  ROLLBACK_STEPS,
  ROLLBACK_TRIGGERS,
  ROLLBACK_LAST_KEY,
  ROLLBACK_MULTIPLIER,
} from './rollback.js'
export type { RollbackOptions, RollbackReport, RollbackStep, RollbackTrigger, SafetyActions, StepOutcome, StepResult, SessionSafety } from './rollback.js'
export { attachSessionRollback, rollbackArgs } from './session-rollback.js'
export { attachLiveCanary, stageMode } from './live.js'
export type { LiveCanary, LiveCanaryOptions } from './live.js'
export type { SessionRollback, SessionRollbackOptions } from './session-rollback.js'
export { auditTimeline, incidentId, renderIncident, writeIncident, lastIncident, INCIDENTS_DIR, writeTripIncident, safetyAlert, attachSafetyRecords } from './incident.js'
export type { IncidentRecord, TimelineEntry, SafetyRecordsOptions } from './incident.js'
export { runCanaryBacktest, StageScaledVenue } from './harness.js'
export type { CanaryBacktestOptions, CanaryBacktestResult } from './harness.js'
