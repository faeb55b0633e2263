/**
 * @module config/redact
 * The one way to show a configuration: `redactConfig` gives a plain, printable copy in sofia.yaml's own
 * shape (money as decimal strings, durations as `30s`, credentials as `[REDACTED]`), and
 * `describeConfig` renders it as YAML for `sofia config show`. Its output loads back as a config file.
 */
import { stringify } from 'yaml'
import { formatDuration } from './duration.js'
import type { Levels, SofiaConfig } from './types.js'

/** A printable value: what JSON and YAML can hold. */
export type ConfigValue = string | number | boolean | readonly ConfigValue[] | ConfigDocument
export interface ConfigDocument {
  readonly [key: string]: ConfigValue
}

/** A printable copy with every secret replaced by `[REDACTED]` (database URLs keep all but the password). */
export function redactConfig(config: SofiaConfig): ConfigDocument {
  const { exchange, risk, database } = config
  const { monitors: m, circuitBreaker: cb } = risk
  const levels = (l: Levels, show: (n: number) => ConfigValue = (n) => n): ConfigDocument => ({
    warning: show(l.warning),
    critical: show(l.critical),
  })
  return {
    mode: config.mode,
    dataDir: config.dataDir,
    strategyDir: config.strategyDir,
    ...(exchange && {
      exchange: {
        id: exchange.id,
        ...(exchange.apiKey && { apiKey: String(exchange.apiKey) }),
        ...(exchange.apiSecret && { apiSecret: String(exchange.apiSecret) }),
        ...(exchange.password && { password: String(exchange.password) }),
        sandbox: exchange.sandbox,
        ...(exchange.urls && { urls: { ...exchange.urls } }),
      },
    }),
    risk: {
      killSwitch: risk.killSwitch,
      selfTrade: risk.selfTrade,
      ...(risk.maxOrderNotional && { maxOrderNotional: risk.maxOrderNotional.toString() }),
      ...(risk.maxPositionNotional && { maxPositionNotional: risk.maxPositionNotional.toString() }),
      ...(risk.maxGrossExposure && { maxGrossExposure: risk.maxGrossExposure.toString() }),
      ...(risk.maxDailyLoss && { maxDailyLoss: risk.maxDailyLoss.toString() }),
      ...(risk.maxDailyLossPct !== undefined && { maxDailyLossPct: risk.maxDailyLossPct }),
      ...(risk.priceBandPct !== undefined && { priceBandPct: risk.priceBandPct }),
      ...(risk.maxOpenOrders !== undefined && { maxOpenOrders: risk.maxOpenOrders }),
      ...(risk.maxOrdersPerSecond !== undefined && { maxOrdersPerSecond: risk.maxOrdersPerSecond }),
      ...(risk.maxOrdersPerMinute !== undefined && { maxOrdersPerMinute: risk.maxOrdersPerMinute }),
      ...(risk.allowedSymbols && { allowedSymbols: [...risk.allowedSymbols] }),
      ...(risk.allowedVenues && { allowedVenues: [...risk.allowedVenues] }),
      monitors: {
        dailyLoss: levels(m.dailyLoss),
        hourlyLoss: levels(m.hourlyLoss),
        drawdownPct: levels(m.drawdownPct),
        errorRate: { ...levels(m.errorRate), window: formatDuration(m.errorRate.windowMs) },
        slippageRatio: levels(m.slippageRatio),
        staleData: levels(m.staleDataMs, formatDuration),
      },
      circuitBreaker: {
        failures: cb.failures,
        errorRate: cb.errorRate,
        window: formatDuration(cb.windowMs),
        coolDown: formatDuration(cb.coolDownMs),
      },
    },
    canary: { percentage: config.canary.percentage },
    reconcile: {
      ordersEvery: formatDuration(config.reconcile.ordersEveryMs),
      balancesEvery: formatDuration(config.reconcile.balancesEveryMs),
      haltOnDiscrepancy: config.reconcile.haltOnDiscrepancy,
    },
    ...(database && { database: { url: String(database.url) } }),
    ...(config.audit && { audit: { ...config.audit } }),
    api: { host: config.api.host, port: config.api.port },
  }
}

/** The configuration as YAML, secrets redacted, headed by where it came from. */
export function describeConfig(config: SofiaConfig): string {
  const from = config.source.file ?? 'defaults (no config file)'
  const env = config.source.env.length > 0 ? config.source.env.join(', ') : 'none'
  return `# config: ${from}\n# environment overrides: ${env}\n${stringify(redactConfig(config))}`
}
