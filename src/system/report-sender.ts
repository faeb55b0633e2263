/**
 * @module system/report-sender
 * Sends reports through the notifiers configured in `config/alerts.yaml` (webhook, Slack, PagerDuty, email):
 * a report goes out as an `info` notification whose description is the report's Markdown. Undefined when no
 * notifier is configured.
 */
import { configuredNotifiers, messageAlert } from '../observability/index.js'

export interface ReportSender {
  send(subject: string, markdown: string): Promise<void>
}

/** `maxDailyLoss` is the configured risk.maxDailyLoss, which rules in the alerts file may name. */
export async function notifierReportSender(options: { cwd?: string; dataDir: string; maxDailyLoss?: number | undefined }): Promise<ReportSender | undefined> {
  const { hub, metrics } = await configuredNotifiers({ cwd: options.cwd ?? process.cwd(), dataDir: options.dataDir, maxDailyLoss: options.maxDailyLoss })
  if (hub.entries.length === 0) return undefined
  return {
    send: async (subject, markdown) => {
      hub.notify(messageAlert({ rule: 'Report', key: `Report:${subject}`, severity: 'info', summary: subject, description: markdown, at: Date.now() }))
      await hub.close(30_000)
      const failed = (await metrics.notificationsTotal.get()).values.filter((v) => v.labels['result'] === 'failed' && v.value > 0)
      if (failed.length > 0) throw new Error(`report not delivered by ${failed.map((f) => String(f.labels['notifier'])).join(', ')}`)
    },
  }
}
