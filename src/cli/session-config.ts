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
import type { DeskSession } from '../desk/index.js'
import type { ExchangeConfig, RouterMode, StrategySpec } from '../system/index.js'
import { createStrategies, strategyParamsOf } from '../system/index.js'
import { keyValues } from './args.js'
import { exchangeSpec } from './exchange-option.js'
import type { ExchangeFlags } from './exchange-option.js'

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

/** What `sofia run` and `sofia serve` say of a session on an exchange. */
export interface ExchangeSessionFlags extends ExchangeFlags {
  /** Comma-separated (default BTC/USDT). */
  symbols?: string
  balance: readonly string[]
  venue?: string
}

/**
 * The session on an exchange that `sofia run` and `sofia serve` open (on the desk), from the configuration and
 * their flags: the exchange and its keys, the strategies, the roll-out share, the reconciliation cadence and the
 * guard rails of `sessionConfig`.
 */
export function exchangeSessionOf(
  session: SessionConfig,
  flags: ExchangeSessionFlags,
  o: { readonly mode: RouterMode; readonly specs: readonly StrategySpec[]; readonly marketData?: ExchangeConfig['marketData'] | undefined },
): Extract<DeskSession, { kind: 'exchange' }> {
  const { config } = session
  const strategies = createStrategies(o.specs)
  const balances = flags.balance.length > 0 ? keyValues('--balance', flags.balance) : undefined
  return {
    kind: 'exchange',
    mode: o.mode,
    exchange: exchangeSpec(config, flags, o.mode),
    ...(flags.venue !== undefined ? { venueId: flags.venue } : {}),
    symbols: (flags.symbols ?? 'BTC/USDT').split(',').map((x) => x.trim()).filter((x) => x !== ''),
    strategies,
    strategyParams: strategyParamsOf(strategies, o.specs),
    ...(o.marketData !== undefined ? { marketData: o.marketData } : {}),
    canaryPercentage: config.canary.percentage,
    reconcile: { ordersEveryMs: config.reconcile.ordersEveryMs, balancesEveryMs: config.reconcile.balancesEveryMs, haltOnDiscrepancy: config.reconcile.haltOnDiscrepancy },
    ...(balances !== undefined ? { shadowBalances: balances } : {}),
    ...guardRailsOf(session),
  }
}

/** The guard rails every trading session is given from the configuration: risk settings, kill file, position override. */
export function guardRailsOf(session: SessionConfig): Pick<ExchangeConfig, 'riskSettings' | 'killFile' | 'positionOverride'> {
  return {
    riskSettings: session.risk,
    killFile: session.killFile,
    ...(session.positionOverride !== undefined ? { positionOverride: session.positionOverride } : {}),
  }
}
