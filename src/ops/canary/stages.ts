/**
 * @module ops/canary/stages
 * The roll-out stages and their acceptance thresholds, from `config/canary.yaml` (default: the runbook's
 * table). Every key is checked; an error names the file and the key.
 *
 * ```yaml
 * evaluate_every: 1h            # how often `canary run` evaluates (engine time)
 * criteria:                     # shared by every stage (all optional)
 *   slippage_ratio_max: 1.5     # realized ≤ 1.5 × simulated
 *   slippage_floor_bps: 1       # simulated slippage below this counts as this
 *   fill_rate_min_ratio: 0.9    # live fill rate ≥ 90% of the shadow twin's
 *   precision_min_ratio: 0.9    # model strategies: precision ≥ 90% of baseline
 *   pnl_floor_pct: 1            # P&L deviation is relative to max(|shadow P&L|, 1% of allocated capital)
 * stages:
 *   - { name: shadow,     capital_pct: 0,   min_duration: 30d }
 *   - { name: canary-1,   capital_pct: 1,   min_duration: 7d,  max_drawdown_pct: 2,  pnl_deviation_pct: 10 }
 *   - { name: canary-2,   capital_pct: 5,   min_duration: 14d, max_drawdown_pct: 3,  pnl_deviation_pct: 10 }
 *   - { name: production, capital_pct: 100, min_duration: ongoing, max_drawdown_pct: 10, pnl_deviation_pct: 15 }
 * ```
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { parseDuration } from '../../config/index.js'
import { InputError } from '../../model/index.js'

export const CANARY_CONFIG_FILE = join('config', 'canary.yaml')
const DAY = 86_400_000

export interface StageSpec {
  readonly name: string
  /** Share of capital on the exchange, 0–100 (0: shadow only). */
  readonly capitalPct: number
  /** Minimum time in the stage, ms; undefined = ongoing (the last stage). */
  readonly minDurationMs: number | undefined
  /** Largest drawdown of the live leg allowed, % of its allocated capital. */
  readonly maxDrawdownPct: number | undefined
  /** Largest deviation of live P&L (scaled to full size) from the shadow twin's, %. */
  readonly pnlDeviationPct: number | undefined
}

export interface CriteriaSettings {
  readonly slippageRatioMax: number
  readonly slippageFloorBps: number
  readonly fillRateMinRatio: number
  readonly precisionMinRatio: number
  readonly pnlFloorPct: number
}

export interface CanaryConfig {
  readonly stages: readonly StageSpec[]
  readonly criteria: CriteriaSettings
  readonly evaluateEveryMs: number
  /** Where it came from (a file, or `default`). */
  readonly source: string
}

export const DEFAULT_CRITERIA: CriteriaSettings = { slippageRatioMax: 1.5, slippageFloorBps: 1, fillRateMinRatio: 0.9, precisionMinRatio: 0.9, pnlFloorPct: 1 }

/** The runbook's table. */
export const DEFAULT_STAGES: readonly StageSpec[] = [
  { name: 'shadow', capitalPct: 0, minDurationMs: 30 * DAY, maxDrawdownPct: undefined, pnlDeviationPct: undefined },
  { name: 'canary-1', capitalPct: 1, minDurationMs: 7 * DAY, maxDrawdownPct: 2, pnlDeviationPct: 10 },
  { name: 'canary-2', capitalPct: 5, minDurationMs: 14 * DAY, maxDrawdownPct: 3, pnlDeviationPct: 10 },
  { name: 'production', capitalPct: 100, minDurationMs: undefined, maxDrawdownPct: 10, pnlDeviationPct: 15 },
]

export const DEFAULT_CANARY_CONFIG: CanaryConfig = { stages: DEFAULT_STAGES, criteria: DEFAULT_CRITERIA, evaluateEveryMs: 3_600_000, source: 'default' }

/** Reads `file` (default config/canary.yaml under cwd); the defaults when the default file is absent. */
export function loadCanaryConfig(options: { file?: string; cwd?: string } = {}): CanaryConfig {
  const path = options.file ?? join(options.cwd ?? process.cwd(), CANARY_CONFIG_FILE)
  if (!existsSync(path)) {
    if (options.file !== undefined) throw new InputError(`${path}: no such file`)
    return DEFAULT_CANARY_CONFIG
  }
  return parseCanaryConfig(readFileSync(path, 'utf8'), path)
}

export function parseCanaryConfig(text: string, name: string): CanaryConfig {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    throw new InputError(`${name}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`)
  }
  const fail = (key: string, message: string): never => {
    throw new InputError(`${name}: ${key}: ${message}`)
  }
  if (raw === null || raw === undefined) return { ...DEFAULT_CANARY_CONFIG, source: name }
  if (typeof raw !== 'object' || Array.isArray(raw)) return fail('(top)', 'expected a mapping with stages, criteria, evaluate_every')
  const top = raw as Record<string, unknown>
  for (const k of Object.keys(top)) if (!['stages', 'criteria', 'evaluate_every'].includes(k)) fail(k, 'unknown key (expected stages, criteria, evaluate_every)')
  const num = (key: string, v: unknown, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return fail(key, `expected a number from ${min} to ${max}, got ${JSON.stringify(v)}`)
    return v
  }
  const duration = (key: string, v: unknown): number => {
    if (typeof v !== 'string') return fail(key, `expected a duration such as 7d, got ${JSON.stringify(v)}`)
    try {
      return parseDuration(v)
    } catch (error) {
      return fail(key, error instanceof Error ? error.message : String(error))
    }
  }
  let criteria = DEFAULT_CRITERIA
  if (top['criteria'] !== undefined) {
    const c = top['criteria']
    if (c === null || typeof c !== 'object' || Array.isArray(c)) fail('criteria', 'expected a mapping')
    const o = c as Record<string, unknown>
    const keys: Record<string, keyof CriteriaSettings> = {
      slippage_ratio_max: 'slippageRatioMax',
      slippage_floor_bps: 'slippageFloorBps',
      fill_rate_min_ratio: 'fillRateMinRatio',
      precision_min_ratio: 'precisionMinRatio',
      pnl_floor_pct: 'pnlFloorPct',
    }
    const out: Record<string, number> = { ...DEFAULT_CRITERIA }
    for (const [k, v] of Object.entries(o)) {
      const field = keys[k]
      if (field === undefined) fail(`criteria.${k}`, `unknown key (expected ${Object.keys(keys).join(', ')})`)
      out[field!] = num(`criteria.${k}`, v, 0, 1_000)
    }
    criteria = out as unknown as CriteriaSettings
  }
  const evaluateEveryMs = top['evaluate_every'] === undefined ? DEFAULT_CANARY_CONFIG.evaluateEveryMs : duration('evaluate_every', top['evaluate_every'])
  let stages = DEFAULT_STAGES
  if (top['stages'] !== undefined) {
    const list = top['stages']
    if (!Array.isArray(list) || list.length === 0) fail('stages', 'expected a non-empty list of stages')
    const seen = new Set<string>()
    stages = (list as unknown[]).map((s, i): StageSpec => {
      const where = `stages[${i}]`
      if (s === null || typeof s !== 'object' || Array.isArray(s)) return fail(where, 'expected a mapping with name, capital_pct, min_duration')
      const o = s as Record<string, unknown>
      for (const k of Object.keys(o)) {
        if (!['name', 'capital_pct', 'min_duration', 'max_drawdown_pct', 'pnl_deviation_pct'].includes(k)) {
          fail(`${where}.${k}`, 'unknown key (expected name, capital_pct, min_duration, max_drawdown_pct, pnl_deviation_pct)')
        }
      }
      const stageName = o['name']
      if (typeof stageName !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(stageName)) return fail(`${where}.name`, `expected a name like canary-1, got ${JSON.stringify(stageName)}`)
      if (seen.has(stageName)) fail(`${where}.name`, `duplicate stage '${stageName}'`)
      seen.add(stageName)
      const last = i === (list as unknown[]).length - 1
      const md = o['min_duration']
      let minDurationMs: number | undefined
      if (md === 'ongoing' || md === null || md === undefined) {
        if (!last) fail(`${where}.min_duration`, 'only the last stage may be ongoing')
        minDurationMs = undefined
      } else minDurationMs = duration(`${where}.min_duration`, md)
      return {
        name: stageName,
        capitalPct: num(`${where}.capital_pct`, o['capital_pct'], 0, 100),
        minDurationMs,
        maxDrawdownPct: o['max_drawdown_pct'] === undefined ? undefined : num(`${where}.max_drawdown_pct`, o['max_drawdown_pct'], 0, 100),
        pnlDeviationPct: o['pnl_deviation_pct'] === undefined ? undefined : num(`${where}.pnl_deviation_pct`, o['pnl_deviation_pct'], 0, 1_000),
      }
    })
  }
  return { stages, criteria, evaluateEveryMs, source: name }
}

/**
 * The stage named `name`; InputError listing the stages otherwise. Case and `_`/`-` do not count, so the
 * runbook's `canary_1` is `canary-1`; callers record `stages[i].name`, the canonical spelling.
 */
export function stageIndex(config: CanaryConfig, name: string): number {
  const canonical = (n: string): string => n.toLowerCase().replace(/_/g, '-')
  const i = config.stages.findIndex((s) => s.name === name)
  if (i < 0) {
    const j = config.stages.findIndex((s) => canonical(s.name) === canonical(name))
    if (j >= 0) return j
  }
  if (i < 0) throw new InputError(`unknown stage '${name}' (stages: ${config.stages.map((s) => s.name).join(', ')})`)
  return i
}
