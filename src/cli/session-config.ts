/**
 * @module cli/session-config
 * What a trading command reads besides its flags: `sofia.yaml` (or `--config FILE`) with the runbook's
 * environment overrides, `config/position_override.json`, and where the KILL_SWITCH file is watched.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { loadConfig } from '../config/index.js'
import type { SofiaConfig } from '../config/index.js'
import { STRATEGIES, resolveStrategies } from '../strategy/index.js'
import { riskSettings } from '../system/index.js'
import type { RiskSettings } from '../system/index.js'
import { POSITION_OVERRIDE_FILE, readPositionOverride } from '../desk/index.js'
import { keyValues } from './args.js'

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

/** What the `--strategy` and `--param` flags of a session ask for: each named strategy, with every `--param`. */
export async function strategySpecsOf(
  flags: { strategy: readonly string[]; param: readonly string[]; config?: string },
  config: SofiaConfig,
): Promise<{ name: string; params: Record<string, string> }[]> {
  const params = keyValues('--param', flags.param)
  return (await resolveStrategyFlags(flags.strategy, flags, config)).map((name) => ({ name, params }))
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
