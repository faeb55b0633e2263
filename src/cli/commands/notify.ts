/**
 * @module cli/commands/notify
 * `sofia notify --severity info|warning|critical "text"`: one message through the notifiers configured in
 * `config/alerts.yaml` (the runbook's notify_emergency), each filtered by its minSeverity. Waits (bounded) for
 * delivery: exit 0 when every notifier that took the message delivered it, 1 when one failed or none took it.
 */
import type { Command } from 'commander'
import { InputError } from '../../model/index.js'
import { configuredNotifiers, messageAlert } from '../../observability/index.js'
import type { AlertSeverity } from '../../observability/index.js'
import { EXIT_PROBLEM } from '../exit.js'
import { sessionConfig } from '../session-config.js'
import { dataDirOf } from '../store-option.js'

interface NotifyFlags {
  severity: string
  config?: string
  timeout: string
  dataDir?: string
}

const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical']

export function registerNotify(program: Command): void {
  program
    .command('notify')
    .summary('send a message through the configured notifiers (exit 1 when one failed)')
    .description(
      "Sends TEXT as a notification of the given severity to every notifier in config/alerts.yaml whose minSeverity\n" +
        'admits it, and waits for delivery (retries as configured, at most --timeout seconds).\n' +
        'Exit 0: delivered by every notifier that took it. Exit 1: a notifier failed, or none took it.',
    )
    .argument('<text>', 'the message')
    .requiredOption('--severity <level>', 'info, warning or critical')
    .option('--config <file>', 'configuration file (default ./sofia.yaml when present): risk.maxDailyLoss for the alert rules')
    .option('--timeout <seconds>', 'longest wait for delivery', '30')
    .option('--data-dir <dir>', 'data directory (for the disk metrics the alert rules may name)')
    .action(async (text: string, flags: NotifyFlags) => {
      if (!SEVERITIES.includes(flags.severity as AlertSeverity)) throw new InputError(`--severity: expected info, warning or critical, got '${flags.severity}'`)
      const timeoutS = Number(flags.timeout)
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new InputError(`--timeout: expected a positive number of seconds, got '${flags.timeout}'`)
      if (text.trim() === '') throw new InputError('<text>: expected a message, got an empty one')
      const severity = flags.severity as AlertSeverity
      // The alerts file is read as `sofia serve` reads it: its rules may name risk.maxDailyLoss.
      const maxDailyLoss = (await sessionConfig(flags)).risk.limits.maxDailyLoss?.toNumber()
      const { hub, metrics } = await configuredNotifiers({ cwd: process.cwd(), dataDir: dataDirOf(flags), maxDailyLoss })
      const now = Date.now()
      const took = hub.notify(messageAlert({ rule: 'Notify', key: `Notify:${now}`, severity, summary: text, description: text, at: now }))
      await hub.close(timeoutS * 1000)
      if (took === 0) {
        process.stderr.write(`sofia: no notifier takes ${severity} messages (configured: ${hub.names.join(', ') || 'none'} in config/alerts.yaml)\n`)
        process.exitCode = EXIT_PROBLEM
        return
      }
      // Each notifier that took the message either counted it sent, or failed / ran out of time.
      const counts = (await metrics.notificationsTotal.get()).values
      const sent = new Set(counts.filter((v) => v.labels['result'] === 'sent' && v.value > 0).map((v) => String(v.labels['notifier'])))
      const takers = hub.entries.filter((e) => SEVERITIES.indexOf(e.minSeverity) <= SEVERITIES.indexOf(severity)).map((e) => e.queue.name)
      const notDelivered = takers.filter((name) => !sent.has(name))
      process.stdout.write(`${severity} message delivered by ${takers.filter((name) => sent.has(name)).join(', ') || 'none'}\n`)
      if (notDelivered.length > 0) {
        process.stderr.write(`sofia: not delivered by ${notDelivered.join(', ')}\n`)
        process.exitCode = EXIT_PROBLEM
      }
    })
}
