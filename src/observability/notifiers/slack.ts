/**
 * @module observability/notifiers/slack
 * Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `{ text, blocks }`, where `text` is
 * the one-line fallback shown in notifications and `blocks` the formatted message.
 */
import type { Alert, SlackNotifierConfig } from '../alert-rules.js'
import type { Notifier } from './delivery.js'
import { postJson } from './http.js'

const ICON: Record<Alert['severity'], string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' }

export interface SlackMessage {
  readonly text: string
  readonly blocks: readonly Record<string, unknown>[]
}

export function slackMessage(alert: Alert): SlackMessage {
  const icon = alert.state === 'resolved' ? ':white_check_mark:' : ICON[alert.severity]
  const head = `${icon} [${alert.state === 'resolved' ? 'RESOLVED' : alert.severity.toUpperCase()}] ${alert.summary}`
  const labels = Object.entries(alert.labels).map(([k, v]) => `${k}=\`${v}\``).join('  ')
  const context = [
    `rule \`${alert.rule}\``,
    `action \`${alert.action}\``,
    ...(labels === '' ? [] : [labels]),
    `since ${new Date(alert.activeSince).toISOString()}`,
  ].join(' · ')
  return {
    text: head,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escape(head)}*${alert.description === undefined ? '' : `\n${escape(alert.description)}`}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: escape(context) }] },
    ],
  }
}

export class SlackNotifier implements Notifier {
  readonly name = 'slack'

  constructor(private readonly config: SlackNotifierConfig) {}

  async send(alert: Alert, signal: AbortSignal): Promise<void> {
    await postJson(this.config.url.reveal(), slackMessage(alert), signal, 'slack')
  }
}

/** Slack's three control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
