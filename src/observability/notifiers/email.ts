/**
 * @module observability/notifiers/email
 * E-mail over SMTP with nodemailer: one plain-text message per notification. SMTP 5xx answers are permanent;
 * everything else (4xx, connection trouble) is retried by the queue.
 */
import type { Transporter } from 'nodemailer'
import type { Alert, EmailNotifierConfig } from '../alert-rules.js'
import type { Notifier } from './delivery.js'
import { PermanentDeliveryError } from './delivery.js'

export function emailSubject(alert: Alert): string {
  return `[Sofia ${alert.state === 'resolved' ? 'RESOLVED' : alert.severity.toUpperCase()}] ${alert.summary}`
}

export function emailBody(alert: Alert): string {
  const lines = [
    alert.summary,
    '',
    ...(alert.description === undefined ? [] : [alert.description, '']),
    `rule:      ${alert.rule}`,
    `state:     ${alert.state}`,
    `severity:  ${alert.severity}`,
    `action:    ${alert.action}`,
    `condition: ${alert.value} ${alert.op} ${alert.threshold}`,
    ...Object.entries(alert.labels).map(([k, v]) => `label:     ${k}=${v}`),
    `since:     ${new Date(alert.activeSince).toISOString()}`,
    `at:        ${new Date(alert.at).toISOString()}`,
    `key:       ${alert.key}`,
  ]
  return `${lines.join('\n')}\n`
}

export class EmailNotifier implements Notifier {
  readonly name = 'email'
  private transportP: Promise<Transporter> | undefined

  constructor(
    private readonly config: EmailNotifierConfig,
    private readonly timeoutMs = 10_000,
  ) {}

  /** The SMTP transport, made at the first message (nodemailer is loaded then, not at every CLI start). */
  private transport(): Promise<Transporter> {
    this.transportP ??= this.createTransport()
    return this.transportP
  }

  private async createTransport(): Promise<Transporter> {
    const { default: nodemailer } = await import('nodemailer')
    const { config, timeoutMs } = this
    return nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      ...(config.ignoreTLS === undefined ? {} : { ignoreTLS: config.ignoreTLS }),
      ...(config.user === undefined ? {} : { auth: { user: config.user, pass: config.password?.reveal() ?? '' } }),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    })
  }

  async send(alert: Alert, _signal: AbortSignal): Promise<void> {
    try {
      await (await this.transport()).sendMail({ from: this.config.from, to: [...this.config.to], subject: emailSubject(alert), text: emailBody(alert) })
    } catch (err) {
      const code = (err as { responseCode?: unknown }).responseCode
      if (typeof code === 'number' && code >= 500) throw new PermanentDeliveryError(`email: SMTP ${code}: ${(err as Error).message}`, { cause: err })
      throw err
    }
  }

  close(): void {
    void this.transportP?.then((t) => t.close()).catch(() => undefined)
  }
}
