/**
 * @module observability
 * Prometheus metrics (and, with the operator API, health, SLOs, alert rules and notifiers).
 */
export { promClient } from './prom.js'
export { createMetrics } from './metrics.js'
export type { SofiaMetrics } from './metrics.js'
export { registerOpsMetrics, diskFree, OPS_METRIC_NAMES, RECONCILIATION_DISCREPANCIES, DISK_FREE_BYTES, RISK_MAX_DAILY_LOSS_USD } from './ops-metrics.js'
export type { OpsMetrics, OpsMetricsOptions } from './ops-metrics.js'
export {
  parseAlertConfig,
  loadAlertConfig,
  checkRules,
  defaultAlertRules,
  describeRule,
  AlertConfigError,
  ALERT_OPS,
  ALERT_SEVERITIES,
  ALERT_ACTIONS,
  DEFAULT_ALERTS_FILE,
  DEFAULT_DELIVERY,
  DEFAULT_PAGERDUTY_URL,
  DEFAULT_REPEAT_INTERVAL_MS,
} from './alert-rules.js'
export type {
  Alert,
  AlertRule,
  AlertOp,
  AlertSeverity,
  AlertAction,
  AlertState,
  AlertConfig,
  SeriesSelector,
  ThresholdVars,
  ParseAlertConfigOptions,
  DefaultRuleOptions,
  DeliveryOptions,
  NotifiersConfig,
  WebhookNotifierConfig,
  SlackNotifierConfig,
  PagerDutyNotifierConfig,
  EmailNotifierConfig,
} from './alert-rules.js'
export { AlertEngine, alertKey, compare } from './alert-engine.js'
export type { AlertActions, AlertEngineOptions, AlertTransition } from './alert-engine.js'
export { NotificationQueue, PermanentDeliveryError, DeliveryTimeout } from './notifiers/delivery.js'
export type { Notifier, DeliveryHooks, DeliveryFailure, DeliveryLogger } from './notifiers/delivery.js'
export { NotifierHub, createNotifierHub, internalAlertHooks, NOTIFIER_FAILING } from './notifiers/hub.js'
export type { HubEntry, InternalAlerts } from './notifiers/hub.js'
export { WebhookNotifier } from './notifiers/webhook.js'
export { SlackNotifier, slackMessage } from './notifiers/slack.js'
export type { SlackMessage } from './notifiers/slack.js'
export { PagerDutyNotifier, pagerDutyEvent } from './notifiers/pagerduty.js'
export type { PagerDutyEvent } from './notifiers/pagerduty.js'
export { EmailNotifier, emailSubject, emailBody } from './notifiers/email.js'
export { configuredNotifiers, messageAlert } from './notification.js'
export type { ConfiguredNotifiers, Message } from './notification.js'
export { SloTracker, defaultSlos } from './slo.js'
export type { SloDefinition, SloOptions, SloStatus, SloHealth, RawPoint } from './slo.js'
export { createLogger, redactDeep, REDACT_PATHS, SECRET_KEY, LOG_LEVELS } from './logger.js'
export type { CreateLoggerOptions, LogLevel, Logger } from './logger.js'
export { histogramQuantile, countAtOrBelow, metricKind, metricNames } from './series.js'
export type { Labels, MetricKind, Buckets } from './series.js'
export { LogBuffer, LOG_BUFFER_LEVELS, levelOfLine } from './log-buffer.js'
export type { LogLine, LogBufferLevel } from './log-buffer.js'
