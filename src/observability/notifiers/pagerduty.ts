/**
 * @module observability/notifiers/pagerduty
 * PagerDuty Events API v2: a firing alert is a `trigger`, a resolved one a `resolve`, both under the alert's
 * key as `dedup_key`, so PagerDuty folds repeats into one incident and closes it on resolve.
 */
import type { Alert, PagerDutyNotifierConfig } from '../alert-rules.js'
import type { Notifier } from './delivery.js'
import { postJson } from './http.js'

export interface PagerDutyEvent {
  readonly routing_key: string
  readonly event_action: 'trigger' | 'acknowledge' | 'resolve'
  readonly dedup_key: string
  readonly payload?: {
    readonly summary: string
    readonly source: string
    readonly severity: 'critical' | 'error' | 'warning' | 'info'
    readonly timestamp: string
    readonly component: string
    readonly group: string
    readonly class: string
    readonly custom_details: Record<string, unknown>
  }
}

export function pagerDutyEvent(alert: Alert, routingKey: string, source: string): PagerDutyEvent {
  const base = { routing_key: routingKey, dedup_key: alert.key.slice(0, 255) }
  if (alert.state === 'resolved') return { ...base, event_action: 'resolve' }
  return {
    ...base,
    event_action: 'trigger',
    payload: {
      summary: alert.summary.slice(0, 1024),
      source,
      severity: alert.severity,
      timestamp: new Date(alert.at).toISOString(),
      component: 'sofia',
      group: alert.rule,
      class: alert.action,
      custom_details: {
        labels: alert.labels,
        value: alert.value,
        op: alert.op,
        threshold: alert.threshold,
        action: alert.action,
        active_since: new Date(alert.activeSince).toISOString(),
        ...(alert.description === undefined ? {} : { description: alert.description }),
      },
    },
  }
}

export class PagerDutyNotifier implements Notifier {
  readonly name = 'pagerduty'

  constructor(private readonly config: PagerDutyNotifierConfig) {}

  async send(alert: Alert, signal: AbortSignal): Promise<void> {
    await postJson(this.config.url, pagerDutyEvent(alert, this.config.routingKey.reveal(), this.config.source), signal, 'pagerduty')
  }
}
