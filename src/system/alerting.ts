/**
 * @module system/alerting
 * Alert rules, notifiers and SLOs for a running (wall-clock) session. Rules from `config/alerts.yaml` (or the
 * defaults) are evaluated every few seconds against the session's metrics; what a firing rule does goes
 * through the safety layer: notify, pause a strategy (REDUCING), reduce size (position override 0.5), or
 * trip the kill switch (trigger `alert_rule`). Notifications never block the trading loop.
 */
import type { Logger } from '../observability/index.js'
import {
  AlertEngine,
  SloTracker,
  createNotifierHub,
  defaultAlertRules,
  internalAlertHooks,
  loadAlertConfig,
  registerOpsMetrics,
} from '../observability/index.js'
import type { Alert, AlertConfig, NotifierHub, SofiaMetrics } from '../observability/index.js'
import type { HeadAnchor, SignedHead } from '../audit/index.js'
import type { Trader } from './trader.js'

export interface AlertingOptions {
  readonly trader: Trader
  readonly metrics: SofiaMetrics
  readonly dataDir: string
  /** Working directory holding `config/alerts.yaml` (default process.cwd()). */
  readonly cwd?: string
  readonly logger?: Logger
  readonly evaluateEveryMs?: number
  readonly sloEveryMs?: number
  /** Also told of every alert whose action trips the kill switch (automatic rollback of a deployment). */
  readonly onKillSwitchAlert?: (alert: Alert) => void
  /** Told of every alert an action ran for (e.g. a canary roll-out counting critical alerts against its stage). */
  readonly onAlert?: (alert: Alert) => void
  /** Send each head this anchor signs to the webhook notifier too (`audit.shipHeads`), as an info notification `AuditHead`. */
  readonly shipHeadsOf?: HeadAnchor
}

/** Rule name of the notification that carries a signed audit head. */
export const AUDIT_HEAD = 'AuditHead'

/**
 * A signed head as a notification: an info "alert" that fires and never resolves. Its description is the head's
 * JSON line, exactly as in the heads file, so a receiver can keep it for `sofia audit verify --head FILE`.
 */
export function auditHeadAlert(head: SignedHead, now: number): Alert {
  const labels = { keyId: head.keyId, seq: String(head.seq) }
  return {
    rule: AUDIT_HEAD,
    labels,
    key: `${AUDIT_HEAD}{keyId=${head.keyId},seq=${head.seq}}`,
    state: 'firing',
    severity: 'info',
    action: 'notify',
    value: head.seq,
    op: '>=',
    threshold: head.seq,
    summary: `audit head signed: seq ${head.seq}, hash ${head.hash.slice(0, 16)}…, key ${head.keyId}`,
    description: JSON.stringify(head),
    activeSince: head.signedAt,
    firedAt: head.signedAt,
    at: now,
  }
}

export interface Alerting {
  readonly engine: AlertEngine
  readonly hub: NotifierHub
  readonly slo: SloTracker
  readonly config: AlertConfig
  stop(): Promise<void>
}

export async function startAlerting(options: AlertingOptions): Promise<Alerting> {
  const { trader, metrics } = options
  const safety = trader.safety
  const maxDailyLoss = trader.risk.limits.maxDailyLoss?.toNumber()
  registerOpsMetrics(metrics.registry, { dataDir: options.dataDir, ...(maxDailyLoss !== undefined ? { maxDailyLoss } : {}) })
  const config = await loadAlertConfig({
    registry: metrics.registry,
    cwd: options.cwd ?? process.cwd(),
    vars: { maxDailyLoss },
    defaultRules: defaultAlertRules(maxDailyLoss !== undefined ? { maxDailyLoss } : {}),
  })
  const now = (): number => Date.now()
  // The hub reports its own failures to the engine, which is built after it: a late-bound reference.
  const ref: { engine?: AlertEngine } = {}
  const hub = createNotifierHub(config.notifiers, {
    counter: metrics.notificationsTotal,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...internalAlertHooks(() => ref.engine, now),
  })
  const record = (alert: Alert, what: string): void => {
    trader.persistence?.audit(`alert.${alert.state}`, 'system', { rule: alert.rule, labels: alert.labels, severity: alert.severity, action: what, summary: alert.summary })
    options.onAlert?.(alert)
  }
  const engine = new AlertEngine({
    registry: metrics.registry,
    rules: config.rules,
    repeatIntervalMs: config.repeatIntervalMs,
    alertsFiring: metrics.alertsFiring,
    actions: {
      notify: (alert) => {
        record(alert, 'notify')
        hub.notify(alert)
      },
      pauseStrategy: (alert) => {
        record(alert, 'pause_strategy')
        const strategy = alert.labels['strategy']
        safety.setTradingState('REDUCING', 'system', strategy)
      },
      reduceSize: (alert) => {
        record(alert, 'reduce_size')
        safety.execute({ command: 'position_override.set', args: { multiplier: 0.5 }, actor: 'system' })
      },
      killSwitch: (alert) => {
        record(alert, 'kill_switch')
        safety.activate('alert_rule', `${alert.rule}: ${alert.summary}`, 'system')
        options.onKillSwitchAlert?.(alert)
      },
    },
    onActionError: (error) => options.logger?.error({ err: error }, 'alert action failed'),
  })
  ref.engine = engine
  options.shipHeadsOf?.onHeads((heads) => {
    for (const head of heads) hub.notifyOne('webhook', auditHeadAlert(head, now()))
  })
  const slo = new SloTracker({ registry: metrics.registry })
  const evaluate = setInterval(() => {
    engine.evaluate(now()).catch((error: unknown) => options.logger?.error({ err: error }, 'alert evaluation failed'))
  }, options.evaluateEveryMs ?? 5_000)
  evaluate.unref()
  const sample = setInterval(() => {
    slo.sample(now()).catch((error: unknown) => options.logger?.error({ err: error }, 'SLO sampling failed'))
  }, options.sloEveryMs ?? 10_000)
  sample.unref()
  return {
    engine,
    hub,
    slo,
    config,
    stop: async () => {
      clearInterval(evaluate)
      clearInterval(sample)
      await hub.close(2_000)
    },
  }
}
