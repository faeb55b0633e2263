/**
 * @module system/report-sender
 * Sends reports through the notifiers configured in `config/alerts.yaml` (webhook, Slack, PagerDuty, email):
 * a report goes out as an `info` notification whose description is the report's Markdown. Undefined when no
 * notifier is configured.
 */
import { createMetrics, createNotifierHub, loadAlertConfig, registerOpsMetrics } from '../observability/index.js'
import type { Alert } from '../observability/index.js'

export interface ReportSender {
  send(subject: string, markdown: string): Promise<void>
}

/**
 * `maxDailyLoss` is the configured risk.maxDailyLoss (MAX_DAILY_LOSS): rules in the alerts file may name it
 * (`threshold: '-0.5 * maxDailyLoss'`), and it resolves here as it does for `sofia serve`.
 */
export async function notifierReportSender(options: { cwd?: string; dataDir: string; maxDailyLoss?: number | undefined }): Promise<ReportSender | undefined> {
  const metrics = createMetrics({ processMetrics: false })
  const { maxDailyLoss } = options
  registerOpsMetrics(metrics.registry, { dataDir: options.dataDir, ...(maxDailyLoss !== undefined ? { maxDailyLoss } : {}) })
  const config = await loadAlertConfig({ registry: metrics.registry, cwd: options.cwd ?? process.cwd(), vars: { maxDailyLoss } })
  const hub = createNotifierHub(config.notifiers, { counter: metrics.notificationsTotal })
  if (hub.entries.length === 0) return undefined
  return {
    send: async (subject, markdown) => {
      const now = Date.now()
      const alert: Alert = {
        rule: 'Report',
        labels: {},
        key: `Report:${subject}`,
        state: 'firing',
        severity: 'info',
        action: 'notify',
        value: 0,
        op: '==',
        threshold: 0,
        summary: subject,
        description: markdown,
        activeSince: now,
        firedAt: now,
        at: now,
      }
      hub.notify(alert)
      await hub.close(30_000)
      const failed = (await metrics.notificationsTotal.get()).values.filter((v) => v.labels['result'] === 'failed' && v.value > 0)
      if (failed.length > 0) throw new Error(`report not delivered by ${failed.map((f) => String(f.labels['notifier'])).join(', ')}`)
    },
  }
}
