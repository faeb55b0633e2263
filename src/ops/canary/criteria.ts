/**
 * @module ops/canary/criteria
 * The acceptance criteria of a stage, each a pure function of the stage's metrics returning a verdict with
 * its measured value and threshold (for `sofia canary progress`).
 *
 * - min_duration: engine time in the stage ≥ the stage's minimum (pending until then; the last stage is
 *   ongoing and never progresses).
 * - pnl_deviation: (live P&L − simulated P&L) ÷ max(|simulated P&L|, pnl_floor_pct × allocated capital),
 *   in %, within ± the stage's limit. Live P&L is that of the stage's live fills (cash flows and fees, the
 *   open quantity marked now); simulated P&L is the shadow twin's for the same intents at the same
 *   quantities (its average fill price and fee rate), so only execution differs. The floor keeps a
 *   near-zero simulated P&L from turning cents into huge percentages.
 * - slippage: realized (live leg) ≤ slippage_ratio_max × max(simulated, slippage_floor_bps), both the
 *   amount-weighted mean of side-signed (fill − decision price) ÷ decision price in bps (positive = worse).
 * - critical_alerts: no critical alert raised since the stage began.
 * - drawdown: largest peak-to-trough fall of the live leg's P&L (shadow leg's in a 0% stage) as % of its
 *   allocated capital, below the stage's limit.
 * - fill_rate: live orders filled ÷ live orders finished ≥ fill_rate_min_ratio × the shadow twin's.
 * - precision (model strategies): ≥ precision_min_ratio × the baseline precision.
 *
 * Drawdown and critical alerts fail at once (the orchestrator rolls back immediately); the others are
 * judged when the minimum duration is reached.
 */
import type { CriteriaSettings, StageSpec } from './stages.js'

export const CRITERIA = ['min_duration', 'pnl_deviation', 'slippage', 'critical_alerts', 'drawdown', 'fill_rate', 'precision'] as const
export type CriterionName = (typeof CRITERIA)[number]
export type CriterionStatus = 'pass' | 'fail' | 'pending' | 'n/a'

/** Criteria whose failure rolls back at once, without waiting for the minimum duration. */
export const IMMEDIATE: ReadonlySet<CriterionName> = new Set(['critical_alerts', 'drawdown'])

export interface StageMetrics {
  readonly at: number
  readonly stageStartedAt: number
  /** Equity of the whole account when the stage began (reporting currency). */
  readonly capital: number
  readonly capitalPct: number
  /** Net P&L of the stage's live fills (marked now). */
  readonly livePnl: number
  /** The shadow twin's simulated P&L for the same intents and quantities (marked now). */
  readonly simulatedPnl: number
  readonly liveFills: number
  readonly shadowFills: number
  readonly slippageRealizedBps: number | undefined
  readonly slippageSimulatedBps: number | undefined
  /** % of the allocated capital. */
  readonly maxDrawdownPct: number
  readonly fillRate: number | undefined
  readonly baselineFillRate: number | undefined
  readonly precision?: number | undefined
  readonly baselinePrecision?: number | undefined
  readonly criticalAlerts: readonly string[]
}

export interface Criterion {
  readonly name: CriterionName
  readonly status: CriterionStatus
  /** The measured value, as text with its unit. */
  readonly measured: string
  readonly threshold: string
  readonly detail?: string
}

export type Decision = 'progress' | 'hold' | 'rollback'

export interface StageEvaluation {
  readonly stage: string
  readonly at: number
  readonly elapsedMs: number
  readonly criteria: readonly Criterion[]
  readonly decision: Decision
  /** The failed criteria, for a rollback. */
  readonly failed: readonly CriterionName[]
}

const f = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x))
const days = (ms: number): string => `${f(ms / 86_400_000, 2)}d`

export function evaluateCriteria(stage: StageSpec, settings: CriteriaSettings, m: StageMetrics): Criterion[] {
  const out: Criterion[] = []
  const elapsed = m.at - m.stageStartedAt
  const live = stage.capitalPct > 0
  if (stage.minDurationMs === undefined) out.push({ name: 'min_duration', status: 'pending', measured: days(elapsed), threshold: 'ongoing', detail: 'last stage' })
  else out.push({ name: 'min_duration', status: elapsed >= stage.minDurationMs ? 'pass' : 'pending', measured: days(elapsed), threshold: `≥ ${days(stage.minDurationMs)}` })

  if (!live || stage.pnlDeviationPct === undefined) out.push({ name: 'pnl_deviation', status: 'n/a', measured: '-', threshold: '-', detail: live ? 'no limit configured' : 'no live capital in this stage' })
  else {
    const allocated = (m.capital * stage.capitalPct) / 100
    const denom = Math.max(Math.abs(m.simulatedPnl), (settings.pnlFloorPct / 100) * allocated)
    const dev = denom > 0 ? ((m.livePnl - m.simulatedPnl) / denom) * 100 : 0
    out.push({
      name: 'pnl_deviation',
      status: Math.abs(dev) <= stage.pnlDeviationPct ? 'pass' : 'fail',
      measured: `${dev >= 0 ? '+' : ''}${f(dev)}%`,
      threshold: `±${stage.pnlDeviationPct}%`,
      detail: `live ${f(m.livePnl, 6)} vs simulated ${f(m.simulatedPnl, 6)} (${m.liveFills} live fills)`,
    })
  }

  if (!live) out.push({ name: 'slippage', status: 'n/a', measured: '-', threshold: '-', detail: 'no live capital in this stage' })
  else if (m.slippageRealizedBps === undefined) out.push({ name: 'slippage', status: 'n/a', measured: '-', threshold: `≤ ${settings.slippageRatioMax}× simulated`, detail: 'no live fills yet' })
  else {
    const sim = Math.max(m.slippageSimulatedBps ?? 0, settings.slippageFloorBps)
    const ratio = m.slippageRealizedBps / sim
    out.push({
      name: 'slippage',
      status: m.slippageRealizedBps <= settings.slippageRatioMax * sim ? 'pass' : 'fail',
      measured: `${f(ratio)}× (${f(m.slippageRealizedBps)} bps vs ${f(m.slippageSimulatedBps ?? 0)} bps simulated)`,
      threshold: `≤ ${settings.slippageRatioMax}×`,
    })
  }

  out.push({
    name: 'critical_alerts',
    status: m.criticalAlerts.length === 0 ? 'pass' : 'fail',
    measured: String(m.criticalAlerts.length),
    threshold: '0',
    ...(m.criticalAlerts.length > 0 ? { detail: m.criticalAlerts.slice(0, 3).join('; ') } : {}),
  })

  if (stage.maxDrawdownPct === undefined) out.push({ name: 'drawdown', status: 'n/a', measured: `${f(m.maxDrawdownPct)}%`, threshold: '-', detail: 'no limit configured' })
  else out.push({ name: 'drawdown', status: m.maxDrawdownPct < stage.maxDrawdownPct ? 'pass' : 'fail', measured: `${f(m.maxDrawdownPct)}%`, threshold: `< ${stage.maxDrawdownPct}%` })

  if (!live || m.fillRate === undefined || m.baselineFillRate === undefined || m.baselineFillRate === 0) {
    out.push({ name: 'fill_rate', status: 'n/a', measured: m.fillRate === undefined ? '-' : `${f(m.fillRate * 100, 1)}%`, threshold: `≥ ${settings.fillRateMinRatio * 100}% of baseline`, detail: live ? 'no finished orders on both legs yet' : 'no live capital in this stage' })
  } else {
    out.push({
      name: 'fill_rate',
      status: m.fillRate >= settings.fillRateMinRatio * m.baselineFillRate ? 'pass' : 'fail',
      measured: `${f(m.fillRate * 100, 1)}% (baseline ${f(m.baselineFillRate * 100, 1)}%)`,
      threshold: `≥ ${f(settings.fillRateMinRatio * m.baselineFillRate * 100, 1)}%`,
    })
  }

  if (m.precision === undefined || m.baselinePrecision === undefined) out.push({ name: 'precision', status: 'n/a', measured: '-', threshold: '-', detail: 'not a model strategy' })
  else {
    out.push({
      name: 'precision',
      status: m.precision >= settings.precisionMinRatio * m.baselinePrecision ? 'pass' : 'fail',
      measured: `${f(m.precision, 3)} (baseline ${f(m.baselinePrecision, 3)})`,
      threshold: `≥ ${f(settings.precisionMinRatio * m.baselinePrecision, 3)}`,
    })
  }
  return out
}

/** What the criteria mean for the stage: progress, hold, roll back, or (last stage) keep running. */
export function decide(stage: StageSpec, criteria: readonly Criterion[], isLast: boolean): { decision: Decision; failed: CriterionName[] } {
  const failed = criteria.filter((c) => c.status === 'fail').map((c) => c.name)
  if (failed.some((n) => IMMEDIATE.has(n))) return { decision: 'rollback', failed }
  const duration = criteria.find((c) => c.name === 'min_duration')
  if (isLast || stage.minDurationMs === undefined) return { decision: 'hold', failed }
  if (duration?.status !== 'pass') return { decision: 'hold', failed }
  if (failed.length > 0) return { decision: 'rollback', failed }
  return { decision: 'progress', failed }
}
