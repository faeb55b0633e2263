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
import { InputError } from '../model/index.js'
import { riskSettings } from '../system/index.js'
import type { RiskSettings } from '../system/index.js'

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

export async function sessionConfig(flags: { config?: string }): Promise<SessionConfig> {
  const config = await loadConfig({ cwd: process.cwd(), env: process.env, ...(flags.config !== undefined ? { file: flags.config } : {}) })
  return {
    config,
    risk: riskSettings(config.risk),
    positionOverride: readPositionOverride(resolve(POSITION_OVERRIDE_FILE)),
    killFile: resolve(KILL_SWITCH_FILE),
  }
}

/** `{"account": 0.1, "strategies": {"sma-cross": 0.5}}`: multipliers in [0, 1]. */
export function readPositionOverride(
  path: string,
): { account?: string; strategies?: Record<string, string> } | undefined {
  if (!existsSync(path)) return undefined
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${path}: expected an object like {"account": 0.1}`)
  const o = raw as Record<string, unknown>
  const out: { account?: string; strategies?: Record<string, string> } = {}
  for (const key of Object.keys(o)) if (key !== 'account' && key !== 'strategies') throw new InputError(`${path}: ${key}: unknown key (expected account, strategies)`)
  const multiplier = (where: string, v: unknown): string => {
    if (typeof v !== 'number' && typeof v !== 'string') throw new InputError(`${path}: ${where}: expected a number from 0 to 1, got ${JSON.stringify(v)}`)
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new InputError(`${path}: ${where}: expected a number from 0 to 1, got ${JSON.stringify(v)}`)
    return String(v)
  }
  if (o['account'] !== undefined) out.account = multiplier('account', o['account'])
  if (o['strategies'] !== undefined) {
    const s = o['strategies']
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new InputError(`${path}: strategies: expected an object of strategy id → multiplier`)
    out.strategies = Object.fromEntries(Object.entries(s).map(([id, v]) => [id, multiplier(`strategies.${id}`, v)]))
  }
  return out
}
