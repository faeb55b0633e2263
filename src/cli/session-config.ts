/**
 * @module cli/session-config
 * What a trading command reads besides its flags: `sofia.yaml` (or `--config FILE`) with the runbook's
 * environment overrides, `config/position_override.json`, and where the KILL_SWITCH file is watched.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { loadConfig } from '../config/index.js'
import type { SofiaConfig } from '../config/index.js'
import { parsePositionOverride, watchPositionOverrideFile } from '../risk/index.js'
import type { PositionOverride, PositionOverrideFile, PositionOverrideWatch } from '../risk/index.js'
import { STRATEGIES, resolveStrategies } from '../strategy/index.js'
import { riskSettings } from '../system/index.js'
import type { RiskSettings } from '../system/index.js'
import type { AuditType } from '../audit/index.js'

export const POSITION_OVERRIDE_FILE = join('config', 'position_override.json')
export const KILL_SWITCH_FILE = 'KILL_SWITCH'

export interface SessionConfig {
  readonly config: SofiaConfig
  readonly risk: RiskSettings
  readonly positionOverride: { readonly account?: string; readonly strategies?: Readonly<Record<string, string>> } | undefined
  readonly killFile: string
}

export function addConfigOption(cmd: Command): Command {
  return cmd.option('--config <file>', 'configuration file (default ./sofia.yaml when present)')
}

/**
 * The strategy names `--strategy` values stand for: built-in names as they are; file paths and names found in
 * the strategies directory (`strategyDir` in sofia.yaml, default ./strategies) are loaded and registered.
 */
export async function resolveStrategyFlags(values: readonly string[], flags: { config?: string }, config?: SofiaConfig): Promise<string[]> {
  if (values.every((v) => STRATEGIES.some((s) => s.name === v))) return [...values]
  const c = config ?? (await loadConfig({ cwd: process.cwd(), env: process.env, ...(flags.config !== undefined ? { file: flags.config } : {}) }))
  return resolveStrategies(values, { dir: c.strategyDir })
}

export async function sessionConfig(flags: { config?: string }): Promise<SessionConfig> {
  const config = await loadConfig({ cwd: process.cwd(), env: process.env, ...(flags.config !== undefined ? { file: flags.config } : {}) })
  return {
    config,
    risk: riskSettings(config.risk),
    positionOverride: readPositionOverride(resolve(POSITION_OVERRIDE_FILE)),
    killFile: resolve(KILL_SWITCH_FILE),
  }
}

/** `{"account": 0.1, "strategies": {"sma-cross": 0.5}, "max_position_pct": 0.005}`: see risk/position-override. */
export function readPositionOverride(path: string, strategies?: readonly string[]): PositionOverrideFile | undefined {
  if (!existsSync(path)) return undefined
  return parsePositionOverride(readFileSync(path, 'utf8'), path, strategies)
}

/**
 * For a session: refuses (exit 2) a position override naming a strategy id the session does not run, puts
 * its max_position_pct into effect, and re-reads the file within 5 s of a change — audited
 * `risk.override_changed`; a bad file is refused (`risk.override_refused`, an alert) and the override in
 * force stays. Call once the session is built; returns the watch to stop.
 */
export function watchSessionPositionOverride(
  trader: { readonly risk: { readonly positionOverride: PositionOverride }; readonly persistence?: { audit(type: AuditType, actor: string, payload: unknown): void } | undefined },
  strategies: readonly string[],
  alert: (line: string) => void,
  path: string = resolve(POSITION_OVERRIDE_FILE),
): PositionOverrideWatch {
  const override = trader.risk.positionOverride
  const initial = readPositionOverride(path, strategies)
  if (initial !== undefined) override.setMaxPositionPct(initial.maxPositionPct)
  return watchPositionOverrideFile(path, {
    strategies,
    apply: (file) => {
      const from = override.snapshot()
      override.replace(file)
      trader.persistence?.audit('risk.override_changed', 'operator:file', { file: path, from, to: override.snapshot() })
      alert(`[warning] position_override: ${path} reloaded: ${JSON.stringify(override.snapshot())}`)
    },
    refuse: (error) => {
      trader.persistence?.audit('risk.override_refused', 'operator:file', { file: path, error, kept: override.snapshot() })
      alert(`[critical] position_override: ${error}; the override in force is kept`)
    },
  })
}
