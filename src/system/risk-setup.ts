/**
 * @module system/risk-setup
 * Turns the `risk` section of the configuration into the safety layer's parts: the limits the risk engine
 * enforces, the kill switch mode, the runtime monitors' thresholds and the circuit breakers' settings.
 */
import type { RiskConfig } from '../config/index.js'
import type { Decimal } from '../model/index.js'
import { CircuitBreakers, RiskMonitors } from '../risk/index.js'
import type { KillSwitchMode, MonitorThresholds, RiskLimits } from '../risk/index.js'

export interface RiskSettings {
  readonly limits: RiskLimits
  readonly killSwitch: KillSwitchMode
  readonly monitors: MonitorThresholds
  readonly monitorOptions: { readonly errorWindowMs: number }
  readonly breakers: { readonly failures: number; readonly errorRate: number; readonly windowMs: number; readonly coolDownMs: number }
}

/**
 * No limits but self-trade prevention, kill switch armed, monitors only where they need no limit, breakers at 5
 * failures.
 */
export const DEFAULT_RISK: RiskSettings = {
  limits: { preventSelfTrade: true },
  killSwitch: 'AUTO',
  monitors: { drawdown: { warning: 0.05, critical: 0.1 }, errorRate: { warning: 0.05, critical: 0.2 }, dataStalenessSec: { warning: 10, critical: 60 } },
  monitorOptions: { errorWindowMs: 300_000 },
  breakers: { failures: 5, errorRate: 0.5, windowMs: 60_000, coolDownMs: 30_000 },
}

export function riskSettings(config: RiskConfig): RiskSettings {
  const limits: RiskLimits = {
    ...(config.maxOrderNotional !== undefined ? { maxOrderNotional: config.maxOrderNotional } : {}),
    ...(config.maxPositionNotional !== undefined ? { maxPositionNotional: config.maxPositionNotional } : {}),
    ...(config.maxGrossExposure !== undefined ? { maxGrossExposure: config.maxGrossExposure } : {}),
    ...(config.maxDailyLoss !== undefined ? { maxDailyLoss: config.maxDailyLoss } : {}),
    ...(config.maxDailyLossPct !== undefined ? { maxDailyLossPct: config.maxDailyLossPct } : {}),
    ...(config.priceBandPct !== undefined ? { priceBandPct: config.priceBandPct } : {}),
    ...(config.maxOpenOrders !== undefined ? { maxOpenOrders: config.maxOpenOrders } : {}),
    ...(config.maxOrdersPerSecond !== undefined ? { maxOrdersPerSecond: config.maxOrdersPerSecond } : {}),
    ...(config.maxOrdersPerMinute !== undefined ? { maxOrdersPerMinute: config.maxOrdersPerMinute } : {}),
    ...(config.allowedSymbols !== undefined ? { allowedSymbols: config.allowedSymbols } : {}),
    ...(config.allowedVenues !== undefined ? { allowedVenues: config.allowedVenues } : {}),
    preventSelfTrade: config.selfTrade === 'reject',
  }
  const m = config.monitors
  // Loss levels are configured as fractions of the daily loss limit, whichever form the limit takes.
  const ofLimit = (level: { warning: number; critical: number }, limit: Decimal | undefined) =>
    limit === undefined ? undefined : { warning: limit.mul(level.warning), critical: limit.mul(level.critical) }
  const ofPct = (level: { warning: number; critical: number }, pct: number | undefined) =>
    pct === undefined ? undefined : { warning: level.warning * pct, critical: level.critical * pct }
  const dailyLoss = ofLimit(m.dailyLoss, config.maxDailyLoss)
  const dailyLossPct = ofPct(m.dailyLoss, config.maxDailyLossPct)
  const hourlyLoss = ofLimit(m.hourlyLoss, config.maxDailyLoss)
  const hourlyLossPct = ofPct(m.hourlyLoss, config.maxDailyLossPct)
  return {
    limits,
    killSwitch: config.killSwitch,
    monitors: {
      ...(dailyLoss !== undefined ? { dailyLoss } : {}),
      ...(dailyLossPct !== undefined ? { dailyLossPct } : {}),
      ...(hourlyLoss !== undefined ? { hourlyLoss } : {}),
      ...(hourlyLossPct !== undefined ? { hourlyLossPct } : {}),
      drawdown: { warning: m.drawdownPct.warning, critical: m.drawdownPct.critical },
      errorRate: { warning: m.errorRate.warning, critical: m.errorRate.critical },
      slippageRatio: { warning: m.slippageRatio.warning, critical: m.slippageRatio.critical },
      dataStalenessSec: { warning: m.staleDataMs.warning / 1000, critical: m.staleDataMs.critical / 1000 },
    },
    monitorOptions: { errorWindowMs: m.errorRate.windowMs },
    breakers: config.circuitBreaker,
  }
}

/**
 * The same settings without runtime monitors: what a backtest runs unless `risk.monitors` is configured (a
 * default drawdown monitor would otherwise halt a test run on day 3 and leave it halted).
 */
export function withoutMonitors(settings: RiskSettings): RiskSettings {
  return { ...settings, monitors: {} }
}

/** The same settings without the data-staleness monitor (for sessions on recorded data). */
export function withoutStaleness(settings: RiskSettings): RiskSettings {
  const { dataStalenessSec: _omit, ...monitors } = settings.monitors
  return { ...settings, monitors }
}

export function buildMonitors(settings: RiskSettings): RiskMonitors {
  return new RiskMonitors(settings.monitors, { errorWindowMs: settings.monitorOptions.errorWindowMs })
}

export function buildBreakers(
  settings: RiskSettings,
  onChange?: (key: string, from: string, to: string, reason: string, now: number) => void,
): CircuitBreakers {
  const b = settings.breakers
  return new CircuitBreakers(
    {
      failureThreshold: b.failures,
      coolDownMs: b.coolDownMs,
      probeTimeoutMs: b.coolDownMs,
      errorRate: { threshold: b.errorRate, windowMs: b.windowMs, minCalls: 10 },
    },
    onChange,
  )
}
