/**
 * @module observability/notifiers/hub
 * The notifiers configured in alerts.yaml behind one non-blocking `notify(alert)`: each notifier has its own
 * queue (a slow PagerDuty never delays Slack), its own minimum severity, and never hears about its own
 * failure (that alert goes to the others). Pending alerts are not sent; firing and resolved ones are.
 */
import type { Alert, AlertSeverity, DeliveryOptions, NotifiersConfig } from '../alert-rules.js'
import type { Labels } from '../series.js'
import { NotificationQueue } from './delivery.js'
import type { DeliveryFailure, DeliveryHooks, Notifier } from './delivery.js'
import { EmailNotifier } from './email.js'
import { PagerDutyNotifier } from './pagerduty.js'
import { SlackNotifier } from './slack.js'
import { WebhookNotifier } from './webhook.js'

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 }

/** Name of the internal alert raised when a notifier gives up on a notification. */
export const NOTIFIER_FAILING = 'NotifierFailing'

export interface HubEntry {
  readonly queue: NotificationQueue
  readonly minSeverity: AlertSeverity
}

export class NotifierHub {
  readonly entries: readonly HubEntry[]

  constructor(entries: readonly { notifier: Notifier; minSeverity?: AlertSeverity }[], delivery: Partial<DeliveryOptions>, hooks: DeliveryHooks = {}) {
    this.entries = entries.map((e) => ({ queue: new NotificationQueue(e.notifier, delivery, hooks), minSeverity: e.minSeverity ?? 'info' }))
  }

  /** Queues the alert on every notifier that takes it; returns at once. The count of queues it went to. */
  notify(alert: Alert): number {
    if (alert.state === 'pending') return 0
    let n = 0
    for (const { queue, minSeverity } of this.entries) {
      if (RANK[alert.severity] < RANK[minSeverity]) continue
      if (alert.internal === true && alert.labels.notifier === queue.name) continue
      if (queue.enqueue(alert)) n++
    }
    return n
  }

  /** Queues a notification on the named notifier alone, whatever its minimum severity; false when there is none. */
  notifyOne(name: string, alert: Alert): boolean {
    const entry = this.entries.find((e) => e.queue.name === name)
    return entry !== undefined && entry.queue.enqueue(alert)
  }

  get names(): readonly string[] {
    return this.entries.map((e) => e.queue.name)
  }

  async drain(): Promise<void> {
    await Promise.all(this.entries.map((e) => e.queue.drain()))
  }

  async close(waitMs?: number): Promise<void> {
    await Promise.all(this.entries.map((e) => e.queue.close(waitMs)))
  }
}

/** The notifiers a config names, in a hub. */
export function createNotifierHub(config: NotifiersConfig, hooks: DeliveryHooks = {}): NotifierHub {
  const entries: { notifier: Notifier; minSeverity?: AlertSeverity }[] = []
  const add = (notifier: Notifier, minSeverity: AlertSeverity | undefined): void => {
    entries.push({ notifier, ...(minSeverity === undefined ? {} : { minSeverity }) })
  }
  if (config.webhook) add(new WebhookNotifier(config.webhook), config.webhook.minSeverity)
  if (config.slack) add(new SlackNotifier(config.slack), config.slack.minSeverity)
  if (config.pagerduty) add(new PagerDutyNotifier(config.pagerduty), config.pagerduty.minSeverity)
  if (config.email) add(new EmailNotifier(config.email, config.delivery.timeoutMs), config.email.minSeverity)
  return new NotifierHub(entries, config.delivery, hooks)
}

/** What the hub needs of the alert engine to report on its notifiers (AlertEngine has these). */
export interface InternalAlerts {
  raiseInternal(rule: string, labels: Labels, severity: AlertSeverity, summary: string, now: number): void
  clearInternal(rule: string, labels: Labels, now: number): void
}

/**
 * Hooks that turn a notifier giving up into the internal alert `NotifierFailing{notifier}` (warning) and
 * its next success into the resolve. Pass them (with counter and logger) to createNotifierHub.
 */
export function internalAlertHooks(
  alerts: () => InternalAlerts | undefined,
  now: () => number,
): Required<Pick<DeliveryHooks, 'onFailure' | 'onSuccess'>> {
  return {
    onFailure: (f: DeliveryFailure) => {
      if (f.alert.internal === true && f.alert.rule === NOTIFIER_FAILING) return
      const reason = f.error instanceof Error ? f.error.message : String(f.error)
      alerts()?.raiseInternal(NOTIFIER_FAILING, { notifier: f.notifier }, 'warning', `${NOTIFIER_FAILING}: ${f.notifier} gave up on ${f.alert.rule} after ${f.attempts} attempts: ${reason}`, now())
    },
    onSuccess: (notifier: string) => alerts()?.clearInternal(NOTIFIER_FAILING, { notifier }, now()),
  }
}
