/**
 * @module config/load
 * Reads sofia.yaml (or defaults when there is none), applies the runbook's environment overrides, and
 * validates the lot against the schema. Every problem becomes one line naming where it is —
 * `sofia.yaml:12: risk.maxDailyLoss: expected a positive number, got "abc"` or
 * `environment MAX_DAILY_LOSS: …` — thrown as a ConfigError (an InputError: CLI exit code 2).
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { InputError, isRecord } from '../model/index.js'
import { formatDuration } from './duration.js'
import { getIn, problemLines, readYaml, render, zodProblems } from './problems.js'
import type { Problem, ProblemFormat } from './problems.js'
import { DEFAULT_CONFIG_FILE } from './default-file.js'
import { configSchema, schemaAt } from './schema.js'
import type { ParsedConfig } from './schema.js'
import { redactUrl } from './secret.js'
import { suggestKey } from './suggest.js'
import { EXCHANGE_MODES } from './types.js'
import type { ExchangeConfig, Levels, MonitorThresholds, RiskConfig, SofiaConfig } from './types.js'

export { DEFAULT_CONFIG_FILE }

/** The runbook's environment variables and the key each overrides. The environment wins over the file. */
export const ENV_OVERRIDES = [
  { name: 'MODE', path: ['mode'] },
  { name: 'EXCHANGE', path: ['exchange', 'id'] },
  { name: 'API_KEY', path: ['exchange', 'apiKey'] },
  { name: 'API_SECRET', path: ['exchange', 'apiSecret'] },
  { name: 'MAX_DAILY_LOSS', path: ['risk', 'maxDailyLoss'] },
  { name: 'MAX_POSITION_USD', path: ['risk', 'maxPositionNotional'] },
  { name: 'KILL_SWITCH', path: ['risk', 'killSwitch'] },
  { name: 'CANARY_PERCENTAGE', path: ['canary', 'percentage'] },
  { name: 'DATABASE_URL', path: ['database', 'url'] },
  { name: 'SOFIA_HOME', path: ['dataDir'] },
  { name: 'SOFIA_STRATEGY_DIR', path: ['strategyDir'] },
  { name: 'SOFIA_AUDIT_KEY', path: ['audit', 'keyFile'] },
  { name: 'SOFIA_AUDIT_HEADS', path: ['audit', 'headsFile'] },
] as const satisfies readonly { name: string; path: readonly string[] }[]

/**
 * The runbook's other names for the variables above. An alias counts exactly like its variable; both set to
 * different values is an error rather than a silent choice.
 */
export const ENV_ALIASES: Readonly<Record<string, (typeof ENV_OVERRIDES)[number]['name']>> = { TRADING_MODE: 'MODE' }

/** Variables Sofia reads outside the config (CLI, logging). Known, so never warned about. */
const OTHER_KNOWN_ENV = ['SOFIA_TOKEN', 'SOFIA_DEBUG', 'LOG_LEVEL']

/**
 * Prefixes of the runbook's variables. A variable with one of these prefixes that Sofia does not read is
 * probably meant for it (a typo, or a runbook name it does not know): it gets a warning, not silence.
 */
const SOFIA_ENV_PREFIXES = ['SOFIA_', 'TRADING_', 'CANARY_', 'KILL_SWITCH', 'MAX_DAILY_', 'MAX_POSITION']

/** Keys whose values are never echoed in an error message. */
const SECRET_KEYS: ReadonlySet<PropertyKey> = new Set(['apiKey', 'apiSecret', 'password'])

export interface LoadConfigOptions {
  /** Config file, relative to `cwd`. Default `sofia.yaml`, which may be absent; a named file must exist. */
  readonly file?: string
  /** Default `process.cwd()`. */
  readonly cwd?: string
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv
}

/** A bad configuration. `message` is the first problem, one line; `problems` lists them all. */
export class ConfigError extends InputError {
  readonly problems: readonly string[]

  constructor(problems: readonly [string, ...string[]], options?: { cause?: unknown }) {
    super(problems[0], options)
    this.problems = problems
  }
}

/** Loads, overrides from the environment and validates. @throws ConfigError */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<SofiaConfig> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const name = options.file ?? DEFAULT_CONFIG_FILE
  const path = resolve(cwd, name)
  let text: string | undefined
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
    if (!missing) throw new ConfigError([`${name}: cannot read config file: ${(err as Error).message}`], { cause: err })
    if (options.file !== undefined) throw new ConfigError([`${name}: config file not found`], { cause: err })
  }
  const config = parseConfig(text, { name, cwd, env: options.env ?? process.env, ...(text === undefined ? {} : { path }) })
  // Said where the operator looks, once per load; callers with their own env read config.source.warnings.
  if (options.env === undefined) for (const w of config.source.warnings) process.stderr.write(`warning: ${w}\n`)
  return config
}

export interface ParseConfigOptions {
  /** How messages name the file. Default `sofia.yaml`. */
  readonly name?: string
  /** Absolute path of the file, recorded in `source.file`; relative `dataDir` resolves against its folder. */
  readonly path?: string
  /** Default `process.cwd()`. */
  readonly cwd?: string
  /** The variables to override from; default none (unlike `loadConfig`, which reads `process.env`). */
  readonly env?: NodeJS.ProcessEnv
}

/** Validates config text already in hand (`undefined`: no file, defaults). @throws ConfigError */
export function parseConfig(text: string | undefined, options: ParseConfigOptions = {}): SofiaConfig {
  const name = options.name ?? DEFAULT_CONFIG_FILE
  const cwd = resolve(options.cwd ?? process.cwd())
  const source = text === undefined ? undefined : readYaml(text, name, (problem, cause) => new ConfigError([problem], { cause }))
  const raw: unknown = source === undefined ? {} : dropNulls(source.value ?? {})

  const envProblems: string[] = []
  const { env, from, problems: aliasProblems } = resolveEnvAliases(options.env ?? {})
  envProblems.push(...aliasProblems)
  const envValues = new Map<string, { override: EnvOverride; value: string }>()
  for (const override of ENV_OVERRIDES) {
    const value = env[override.name]
    if (value === undefined || value.trim() === '') continue
    const checked = schemaAt(override.path)?.safeParse(value)
    if (checked && !checked.success) {
      const first = zodProblems(checked.error, value, configSchema, { suggest: true })[0]
      const got = SECRET_KEYS.has(override.path.at(-1) ?? '') ? '' : `, got ${render(displayValue(override.path, value))}`
      envProblems.push(`environment ${from.get(override.name) ?? override.name}: ${first?.message ?? 'invalid value'}${got}`)
    } else {
      envValues.set(override.path.join('.'), { override, value })
    }
  }
  const applied = applyEnv(raw, envValues)

  const format: ProblemFormat = {
    name,
    ...(source === undefined ? {} : { source }),
    secret: (path) => SECRET_KEYS.has(path.at(-1) ?? ''),
    display: displayValue,
    origin: (path) => {
      const env = envFor(path, applied)
      return env === undefined ? undefined : `environment ${env.name}`
    },
  }
  const result = configSchema.safeParse(raw)
  const problems = result.success ? crossChecks(result.data, raw) : zodProblems(result.error, raw, configSchema, { suggest: true })
  const all = [...envProblems, ...problemLines(problems, format)]
  if (all.length > 0 || !result.success) throw new ConfigError(nonEmpty(all))

  const fileDir = options.path === undefined ? cwd : dirname(resolve(cwd, options.path))
  const dataDirBase = applied.has('dataDir') || getIn(raw, ['dataDir']) === undefined ? cwd : fileDir
  // Paths written in the file are relative to the file; from the environment, to the working directory.
  const pathOf = (path: string, value: string | undefined): string | undefined =>
    value === undefined ? undefined : value.startsWith('~/') ? join(homedir(), value.slice(2)) : resolve(applied.has(path) ? cwd : fileDir, value)
  const audit = definedOnly({
    keyFile: pathOf('audit.keyFile', result.data.audit?.keyFile),
    headsFile: pathOf('audit.headsFile', result.data.audit?.headsFile),
    shipHeads: result.data.audit?.shipHeads,
  })
  return deepFreeze(
    build(result.data, {
      ...(Object.keys(audit).length > 0 ? { audit } : {}),
      dataDir: resolve(dataDirBase, result.data.dataDir),
      strategyDir: resolve(applied.has('strategyDir') || getIn(raw, ['strategyDir']) === undefined ? cwd : fileDir, result.data.strategyDir),
      source: {
        ...(options.path === undefined ? {} : { file: resolve(cwd, options.path) }),
        env: ENV_OVERRIDES.filter((o) => applied.has(o.path.join('.'))).map((o) => from.get(o.name) ?? o.name),
        warnings: envWarnings(options.env ?? {}),
        monitorsConfigured: getIn(raw, ['risk', 'monitors']) !== undefined || [...applied.keys()].some((path) => path.startsWith('risk.monitors.')),
      },
    }),
  )
}

type EnvOverride = (typeof ENV_OVERRIDES)[number]

/**
 * The environment with each alias read as its variable; `from` maps a variable to the alias that set it, so
 * messages name what the operator wrote.
 */
function resolveEnvAliases(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; from: Map<string, string>; problems: string[] } {
  const out: NodeJS.ProcessEnv = { ...env }
  const from = new Map<string, string>()
  const problems: string[] = []
  for (const [alias, name] of Object.entries(ENV_ALIASES)) {
    const value = env[alias]
    if (value === undefined || value.trim() === '') continue
    const own = env[name]
    if (own !== undefined && own.trim() !== '' && own.trim() !== value.trim()) {
      problems.push(`environment ${alias}: is an alias of ${name}, which is set to a different value (${render(own)} vs ${render(value)}); unset one`)
      continue
    }
    if (own === undefined || own.trim() === '') {
      out[name] = value
      from.set(name, alias)
    }
  }
  return { env: out, from, problems }
}

/** One line per variable that looks like one of Sofia's but is not read: with a guess at the one meant. */
function envWarnings(env: NodeJS.ProcessEnv): string[] {
  const known = [...ENV_OVERRIDES.map((o) => o.name), ...Object.keys(ENV_ALIASES), ...OTHER_KNOWN_ENV]
  const warnings: string[] = []
  for (const name of Object.keys(env).sort()) {
    if (known.includes(name) || !SOFIA_ENV_PREFIXES.some((p) => name.startsWith(p))) continue
    const suggestion = known.find((k) => name.endsWith(`_${k}`) || name.startsWith(`${k}_`)) ?? suggestKey(name, known)
    warnings.push(`environment ${name}: not a variable Sofia reads, ignored${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`)
  }
  return warnings
}

/** Writes the environment's values into the raw tree; returns the overrides that took effect, by dotted path. */
function applyEnv(
  raw: unknown,
  values: ReadonlyMap<string, { override: EnvOverride; value: string }>,
): Map<string, EnvOverride> {
  const applied = new Map<string, EnvOverride>()
  // Credentials in the environment belong to an exchange named somewhere; a paper run in a shell that
  // happens to export API_KEY must not fail for want of an exchange id.
  const hasExchange = values.has('exchange.id') || getIn(raw, ['exchange', 'id']) !== undefined
  for (const [key, { override, value }] of values) {
    if (override.path[0] === 'exchange' && override.path[1] !== 'id' && !hasExchange) continue
    if (setIn(raw, override.path, value)) applied.set(key, override)
  }
  return applied
}

const MONITORS = ['dailyLoss', 'hourlyLoss', 'drawdownPct', 'errorRate', 'slippageRatio', 'staleData'] as const

/** Rules across keys, checked once every key is valid on its own. */
function crossChecks(data: ParsedConfig, raw: unknown): Problem[] {
  const problems: Problem[] = []
  for (const monitor of MONITORS) {
    const { warning, critical } = data.risk.monitors[monitor]
    if (critical >= warning) continue
    const path = ['risk', 'monitors', monitor]
    const show = (value: number): string => (monitor === 'staleData' ? formatDuration(value) : String(value))
    const rawCritical = getIn(raw, [...path, 'critical'])
    problems.push(
      rawCritical === undefined
        ? { path: [...path, 'warning'], message: `must not be above the critical level (${show(critical)})`, got: getIn(raw, [...path, 'warning']) }
        : { path: [...path, 'critical'], message: `must not be below the warning level (${show(warning)})`, got: rawCritical },
    )
  }
  if (EXCHANGE_MODES.includes(data.mode) && data.exchange === undefined) {
    problems.push({ path: ['mode'], message: `${data.mode} needs an exchange: set exchange.id or EXCHANGE` })
  }
  if (data.mode === 'testnet' && data.exchange?.sandbox === false) {
    problems.push({ path: ['exchange', 'sandbox'], message: 'must be true (or left out) in mode testnet', got: false })
  }
  return problems
}

/** The override that set this path (or one of its parents), if any. */
function envFor(path: readonly PropertyKey[], fromEnv: ReadonlyMap<string, EnvOverride>): EnvOverride | undefined {
  for (let n = path.length; n > 0; n--) {
    const found = fromEnv.get(path.slice(0, n).join('.'))
    if (found) return found
  }
  return undefined
}

/** What an error message may show of a value: URLs lose their passwords. */
function displayValue(path: readonly PropertyKey[], value: unknown): unknown {
  return path.at(-1) === 'url' && typeof value === 'string' ? redactUrl(value) : value
}

/** The typed config from the parsed tree, leaving out absent optional keys (exactOptionalPropertyTypes). */
function build(data: ParsedConfig, extra: Pick<SofiaConfig, 'dataDir' | 'strategyDir' | 'source' | 'audit'>): SofiaConfig {
  const { exchange, risk, database, cluster } = data
  const { killSwitch, monitors: m, circuitBreaker: cb, ...limits } = risk
  const monitors: MonitorThresholds = {
    dailyLoss: m.dailyLoss,
    hourlyLoss: m.hourlyLoss,
    drawdownPct: m.drawdownPct,
    errorRate: { warning: m.errorRate.warning, critical: m.errorRate.critical, windowMs: m.errorRate.window },
    slippageRatio: m.slippageRatio,
    staleDataMs: m.staleData satisfies Levels,
  }
  const riskConfig: RiskConfig = {
    ...definedOnly(limits),
    killSwitch,
    monitors,
    circuitBreaker: { failures: cb.failures, errorRate: cb.errorRate, windowMs: cb.window, coolDownMs: cb.coolDown },
  }
  const exchangeConfig: ExchangeConfig | undefined =
    exchange === undefined
      ? undefined
      : {
          id: exchange.id,
          ...definedOnly({ apiKey: exchange.apiKey, apiSecret: exchange.apiSecret, password: exchange.password }),
          sandbox: exchange.sandbox ?? data.mode === 'testnet',
          ...(exchange.recvWindowMs === undefined ? {} : { recvWindowMs: exchange.recvWindowMs }),
          ...(exchange.urls === undefined ? {} : { urls: definedOnly(exchange.urls) }),
        }
  return {
    mode: data.mode,
    ...(exchangeConfig === undefined ? {} : { exchange: exchangeConfig }),
    risk: riskConfig,
    canary: { percentage: data.canary.percentage },
    reconcile: { ordersEveryMs: data.reconcile.ordersEvery, balancesEveryMs: data.reconcile.balancesEvery, haltOnDiscrepancy: data.reconcile.haltOnDiscrepancy },
    ...(database === undefined ? {} : { database: { url: database.url } }),
    api: { host: data.api.host, port: data.api.port },
    ...(cluster === undefined ? {} : { cluster: { ...definedOnly({ nats: cluster.nats, nodeId: cluster.nodeId }), failClosedAfterMs: cluster.failClosedAfter } }),
    ...extra,
  }
}

/** A copy without the keys whose value is undefined; the type says so. */
function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>
  }
}

/** YAML `key:` with nothing after it is null; in a mapping that means "not set", so the default applies. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls)
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, dropNulls(v)]))
  }
  return value
}

/** Sets `path` in a tree of plain objects, creating missing levels; false when a level is not a mapping. */
function setIn(root: unknown, path: readonly string[], value: unknown): boolean {
  let current = root
  for (const [i, key] of path.entries()) {
    if (!isRecord(current)) return false
    if (i === path.length - 1) {
      current[key] = value
      return true
    }
    current[key] ??= {}
    current = current[key]
  }
  return false
}

/** Freezes plain objects and arrays all the way down; class instances (Decimal, Secret) are left alone. */
function deepFreeze<T>(value: T): T {
  if (Array.isArray(value) || (isRecord(value) && Object.getPrototypeOf(value) === Object.prototype)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

function nonEmpty(list: readonly string[]): [string, ...string[]] {
  const [first = 'invalid configuration', ...rest] = list
  return [first, ...rest]
}
