/**
 * @module observability/notification
 * A message sent outside any alert rule (`sofia notify`, a report): the notifiers of `config/alerts.yaml`, set
 * up as `sofia serve` sets them up, and the one-off alert that carries the message to them.
 */
import { loadAlertConfig } from './alert-rules.js'
import type { Alert, AlertSeverity } from './alert-rules.js'
import { createMetrics } from './metrics.js'
import type { SofiaMetrics } from './metrics.js'
import { createNotifierHub } from './notifiers/hub.js'
import type { NotifierHub } from './notifiers/hub.js'
import { registerOpsMetrics } from './ops-metrics.js'

export interface ConfiguredNotifiers {
  readonly hub: NotifierHub
  /** Their own registry: `notificationsTotal` counts what this hub sent and what failed. */
  readonly metrics: SofiaMetrics
}

/**
 * The notifiers of the alerts file under `cwd`. `maxDailyLoss` is the configured risk.maxDailyLoss
 * (MAX_DAILY_LOSS): rules in the alerts file may name it (`threshold: '-0.5 * maxDailyLoss'`), and it resolves
 * here as it does for `sofia serve`, so a file `serve` accepts is never refused here.
 */
export async function configuredNotifiers(options: { readonly cwd: string; readonly dataDir: string; readonly maxDailyLoss?: number | undefined }): Promise<ConfiguredNotifiers> {
  const metrics = createMetrics({ processMetrics: false })
  const { maxDailyLoss } = options
  registerOpsMetrics(metrics.registry, { dataDir: options.dataDir, ...(maxDailyLoss !== undefined ? { maxDailyLoss } : {}) })
  const config = await loadAlertConfig({ registry: metrics.registry, cwd: options.cwd, vars: { maxDailyLoss } })
  return { hub: createNotifierHub(config.notifiers, { counter: metrics.notificationsTotal }), metrics }
}

export interface Message {
  /** The rule name notifiers show and route on (`Notify`, `Report`). */
  readonly rule: string
  /** Deduplication key: a receiver such as PagerDuty folds messages with the same key into one. */
  readonly key: string
  readonly severity: AlertSeverity
  readonly summary: string
  readonly description: string
  readonly at: number
}

/** A message as notifiers take it: an alert that fires at `at`, compares nothing and never resolves. */
export function messageAlert(m: Message): Alert {
  return {
    rule: m.rule,
    labels: {},
    key: m.key,
    state: 'firing',
    severity: m.severity,
    action: 'notify',
    value: 0,
    op: '==',
    threshold: 0,
    summary: m.summary,
    description: m.description,
    activeSince: m.at,
    firedAt: m.at,
    at: m.at,
  }
}
