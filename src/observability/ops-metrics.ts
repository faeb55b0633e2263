/**
 * @module observability/ops-metrics
 * Gauges the alert rules need beyond createMetrics(): reconciliation discrepancies (set by the
 * reconciliation code), free disk space of the data directory (read with fs.statfs at each collection), and
 * the configured daily loss limit (so Prometheus rules can say "50% of the limit" without a copy of it).
 * Registering is idempotent: a second call returns the gauges already in the registry.
 */
import { statfs } from 'node:fs/promises'
import type { Gauge } from 'prom-client'
import { promClient } from './prom.js'
import type { Registry } from 'prom-client'

export const RECONCILIATION_DISCREPANCIES = 'reconciliation_discrepancies'
export const DISK_FREE_BYTES = 'disk_free_bytes'
export const RISK_MAX_DAILY_LOSS_USD = 'risk_max_daily_loss_usd'

/** Metric names this module may add, for checks of rules and dashboards against the registry. */
export const OPS_METRIC_NAMES = [RECONCILIATION_DISCREPANCIES, DISK_FREE_BYTES, RISK_MAX_DAILY_LOSS_USD] as const

export interface OpsMetrics {
  /** Open discrepancies found by the last reconciliation, by venue and kind (position, balance, order). */
  readonly reconciliationDiscrepancies: Gauge<'venue' | 'kind'>
  /** Bytes available to Sofia on the file system of the data directory. */
  readonly diskFreeBytes: Gauge<'path'>
  /** The configured MAX_DAILY_LOSS in the reporting currency (absent when none is configured). */
  readonly maxDailyLossUsd: Gauge
}

export interface OpsMetricsOptions {
  /** Directory whose file system `disk_free_bytes` reports; none: the gauge stays empty. */
  readonly dataDir?: string
  /** Sets `risk_max_daily_loss_usd`. */
  readonly maxDailyLoss?: number
  /** Called when statfs fails (the gauge keeps its last value). */
  readonly onError?: (err: unknown) => void
}

export function registerOpsMetrics(registry: Registry, options: OpsMetricsOptions = {}): OpsMetrics {
  const { Gauge } = promClient()
  const reconciliationDiscrepancies = existing<'venue' | 'kind'>(registry, RECONCILIATION_DISCREPANCIES) ??
    new Gauge({
      name: RECONCILIATION_DISCREPANCIES,
      help: 'Discrepancies between venue and ledger found by the last reconciliation (kind: position, balance, order)',
      labelNames: ['venue', 'kind'],
      registers: [registry],
    })
  const dataDir = options.dataDir
  const diskFreeBytes = existing<'path'>(registry, DISK_FREE_BYTES) ??
    new Gauge({
      name: DISK_FREE_BYTES,
      help: 'Bytes available on the file system holding the data directory',
      labelNames: ['path'],
      registers: [registry],
      async collect() {
        if (dataDir === undefined) return
        try {
          const s = await statfs(dataDir)
          this.set({ path: dataDir }, Number(s.bavail) * Number(s.bsize))
        } catch (err) {
          options.onError?.(err)
        }
      },
    })
  const maxDailyLossUsd = existing<never>(registry, RISK_MAX_DAILY_LOSS_USD) ??
    new Gauge({ name: RISK_MAX_DAILY_LOSS_USD, help: 'Configured daily loss limit (MAX_DAILY_LOSS)', registers: [registry] })
  if (options.maxDailyLoss !== undefined) maxDailyLossUsd.set(options.maxDailyLoss)
  return { reconciliationDiscrepancies, diskFreeBytes, maxDailyLossUsd }
}

/** Reads the free bytes of `dir`'s file system once (for tools and health checks). */
export async function diskFree(dir: string): Promise<number> {
  const s = await statfs(dir)
  return Number(s.bavail) * Number(s.bsize)
}

function existing<L extends string>(registry: Registry, name: string): Gauge<L> | undefined {
  const metric = registry.getSingleMetric(name)
  if (metric === undefined) return undefined
  if (!(metric instanceof promClient().Gauge)) throw new TypeError(`metric ${name} exists but is not a gauge`)
  return metric as Gauge<L>
}
