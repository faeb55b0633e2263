/**
 * @module observability/notifiers/webhook
 * Generic JSON webhook: POSTs the alert as JSON (the `Alert` shape, NaN values as null).
 */
import type { Alert, WebhookNotifierConfig } from '../alert-rules.js'
import type { Notifier } from './delivery.js'
import { postJson } from './http.js'

export class WebhookNotifier implements Notifier {
  readonly name = 'webhook'

  constructor(private readonly config: WebhookNotifierConfig) {}

  async send(alert: Alert, signal: AbortSignal): Promise<void> {
    const headers = Object.fromEntries(Object.entries(this.config.headers ?? {}).map(([k, v]) => [k, v.reveal()]))
    await postJson(this.config.url.reveal(), alert, signal, 'webhook', headers)
  }
}
