/**
 * @module config/schema
 * The zod schema of sofia.yaml. Each leaf is a small check that turns what YAML (or an environment
 * variable) gives into the typed value, or says what was expected; the loader adds file, line, key and
 * the value it got. Objects are strict: an unknown key is an error.
 */
import { z } from 'zod'
import { InputError, dec, parseSymbol } from '../model/index.js'
import type { Decimal } from '../model/index.js'
import { parseDuration } from './duration.js'
import { Secret, redactUrl } from './secret.js'
import { KILL_SWITCH_SETTINGS, MODES, SELF_TRADE_SETTINGS } from './types.js'
import type { KillSwitchSetting, Mode, SelfTradeSetting } from './types.js'

/**
 * What a leaf check returns when the value is wrong. The message gets the offending value appended (`, got …`)
 * unless `shown` says what to show instead (`{ got: undefined }`: nothing).
 */
export class Invalid {
  constructor(
    readonly message: string,
    readonly shown?: { readonly got: unknown },
  ) {}
}

/** A leaf of the schema: `undefined` is "required" (wrap in `.optional()` or `.default()` otherwise). */
export function field<T>(check: (raw: unknown) => T | Invalid) {
  return z.unknown().transform((raw, ctx): T => {
    const result = raw === undefined ? new Invalid('required') : check(raw)
    if (result instanceof Invalid) {
      ctx.addIssue({ code: 'custom', message: result.message, ...(result.shown === undefined ? {} : { params: result.shown }) })
      return z.NEVER
    }
    return result
  })
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i

/** Numbers, or strings that spell one (environment variables, quoted YAML). */
function asNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw
  if (typeof raw === 'string' && NUMERIC.test(raw.trim())) return Number(raw.trim())
  return undefined
}

/** Money: a positive exact decimal. Strings keep every digit; YAML numbers go through their shortest form. */
export function money() {
  return field((raw): Decimal | Invalid => {
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined
    if (text === undefined || !NUMERIC.test(text)) return new Invalid('expected a positive number')
    const value = dec(text)
    return value.isFinite() && value.gt(0) ? value : new Invalid('expected a positive number')
  })
}

/** A fraction in (0, 1]: 0.05 means 5%. */
export function fraction() {
  return field((raw): number | Invalid => {
    const n = asNumber(raw)
    return n !== undefined && n > 0 && n <= 1 ? n : new Invalid('expected a fraction between 0 and 1 (0.05 = 5%)')
  })
}

export function positiveNumber() {
  return field((raw): number | Invalid => {
    const n = asNumber(raw)
    return n !== undefined && Number.isFinite(n) && n > 0 ? n : new Invalid('expected a positive number')
  })
}

export function positiveInteger() {
  return field((raw): number | Invalid => {
    const n = asNumber(raw)
    return n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : new Invalid('expected a positive whole number')
  })
}

export function percentage() {
  return field((raw): number | Invalid => {
    const n = asNumber(raw)
    return n !== undefined && n >= 1 && n <= 100 ? n : new Invalid('expected a percentage from 1 to 100')
  })
}

export function port() {
  return field((raw): number | Invalid => {
    const n = asNumber(raw)
    return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65_535
      ? n
      : new Invalid('expected a port number from 0 to 65535')
  })
}

/**
 * A positive duration string (`30s`, `5m`, `1h`) → milliseconds. With `orZero` (alert rules, where 0 means "at
 * once" or "never") zero is accepted too, as `0s` or a bare 0; another bare number then gets the plain hint.
 */
export function duration(options: { readonly orZero?: boolean } = {}) {
  const plain = 'expected a duration such as 30s, 5m or 1h'
  return field((raw): number | Invalid => {
    if (options.orZero && raw === 0) return 0
    if (typeof raw === 'number') return new Invalid(options.orZero ? plain : `expected a duration with a unit (ms, s, m, h or d), such as ${raw}s`)
    if (typeof raw !== 'string') return new Invalid(plain)
    try {
      const ms = parseDuration(raw)
      return ms > 0 || (options.orZero && ms === 0) ? ms : new Invalid('expected a duration above zero')
    } catch (err) {
      if (err instanceof InputError) return new Invalid(err.message)
      throw err
    }
  })
}

/** One of a fixed set of words, matched without regard to case (exactly, with `matchCase`). */
export function oneOf<const T extends string>(values: readonly T[], options: { readonly matchCase?: boolean } = {}) {
  const fold = (text: string): string => (options.matchCase ? text : text.trim().toLowerCase())
  return field((raw): T | Invalid => {
    const found = typeof raw === 'string' ? values.find((v) => fold(v) === fold(raw)) : undefined
    return found ?? new Invalid(`expected one of ${values.join(', ')}`)
  })
}

/** A mapping with these keys and no others; `expected` says what it should have been when it is not a mapping. */
export function mapping<S extends z.core.$ZodLooseShape>(shape: S, expected = 'a mapping') {
  return field((raw): Record<string, unknown> | Invalid =>
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : new Invalid(`expected ${expected}`),
  ).pipe(z.strictObject(shape))
}

export function text() {
  return field((raw): string | Invalid =>
    typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : new Invalid('expected a non-empty string'),
  )
}

export function bool() {
  return field((raw): boolean | Invalid => {
    if (typeof raw === 'boolean') return raw
    const t = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined
    if (t === 'true') return true
    if (t === 'false') return false
    return new Invalid('expected true or false')
  })
}

/** A credential. Numbers are refused rather than converted: YAML would already have mangled a long one. */
export function secret() {
  return field((raw): Secret | Invalid => {
    if (typeof raw === 'number') return new Invalid('expected a string (quote it in YAML)')
    return typeof raw === 'string' && raw.trim() !== '' ? new Secret(raw.trim()) : new Invalid('expected a non-empty string')
  })
}

export function url(protocols: readonly string[], what: string) {
  return field((raw): string | Invalid => {
    const expected = new Invalid(`expected ${what}`)
    if (typeof raw !== 'string') return expected
    try {
      const parsed = new URL(raw.trim())
      return protocols.includes(parsed.protocol) ? raw.trim() : expected
    } catch {
      return expected
    }
  })
}

function databaseUrl() {
  return url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// URL').transform(
    (value) => new Secret(value, redactUrl(value)),
  )
}

function exchangeId() {
  return field((raw): string | Invalid => {
    const id = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
    return /^[a-z][a-z0-9_]*$/.test(id) ? id : new Invalid('expected a CCXT exchange id such as binance')
  })
}

function symbol() {
  return field((raw): string | Invalid => {
    if (typeof raw !== 'string') return new Invalid('expected a symbol such as BTC/USDT')
    try {
      parseSymbol(raw.trim())
      return raw.trim()
    } catch {
      return new Invalid('expected a symbol such as BTC/USDT')
    }
  })
}

function nonEmptyList<T>(item: z.ZodType<T>, what: string) {
  return z.array(item).refine((list) => list.length > 0, `expected at least one ${what} (leave the key out to allow all)`)
}

function levels(item: () => z.ZodType<number>, warning: number | string, critical: number | string) {
  return z
    .strictObject({ warning: item().prefault(warning), critical: item().prefault(critical) })
    .prefault({})
}

// The defaults are written in input form and parsed through the same checks (zod `prefault`), so
// there is one place that turns `30s` into 30000 and the example config can quote them verbatim.
export const DEFAULTS = {
  mode: 'paper',
  dataDir: './var',
  strategyDir: './strategies',
  killSwitch: 'AUTO',
  selfTrade: 'reject',
  canaryPercentage: 1,
  apiHost: '127.0.0.1',
  apiPort: 8023,
} as const satisfies { mode: Mode; killSwitch: KillSwitchSetting; selfTrade: SelfTradeSetting } & Record<string, unknown>

export const configSchema = z.strictObject({
  mode: oneOf(MODES).prefault(DEFAULTS.mode),
  exchange: z
    .strictObject({
      id: exchangeId(),
      apiKey: secret().optional(),
      apiSecret: secret().optional(),
      password: secret().optional(),
      sandbox: bool().optional(),
      /** The exchange's accept window for signed requests, ms (Binance recvWindow; bounds how long a lost order may still appear). */
      recvWindowMs: positiveInteger().optional(),
      urls: z
        .strictObject({
          api: url(['http:', 'https:'], 'an http:// or https:// URL').optional(),
          ws: url(['ws:', 'wss:'], 'a ws:// or wss:// URL').optional(),
        })
        .optional(),
    })
    .optional(),
  risk: z
    .strictObject({
      maxOrderNotional: money().optional(),
      maxPositionNotional: money().optional(),
      maxGrossExposure: money().optional(),
      maxDailyLoss: money().optional(),
      maxDailyLossPct: fraction().optional(),
      priceBandPct: fraction().optional(),
      maxOpenOrders: positiveInteger().optional(),
      maxOrdersPerSecond: positiveInteger().optional(),
      maxOrdersPerMinute: positiveInteger().optional(),
      allowedSymbols: nonEmptyList(symbol(), 'symbol').optional(),
      allowedVenues: nonEmptyList(exchangeId(), 'venue').optional(),
      selfTrade: oneOf(SELF_TRADE_SETTINGS).prefault(DEFAULTS.selfTrade),
      killSwitch: oneOf(KILL_SWITCH_SETTINGS).prefault(DEFAULTS.killSwitch),
      monitors: z
        .strictObject({
          dailyLoss: levels(fraction, 0.5, 1),
          hourlyLoss: levels(fraction, 0.25, 0.5),
          drawdownPct: levels(fraction, 0.05, 0.1),
          errorRate: z
            .strictObject({
              warning: fraction().prefault(0.05),
              critical: fraction().prefault(0.2),
              window: duration().prefault('5m'),
            })
            .prefault({}),
          slippageRatio: levels(positiveNumber, 1.5, 3),
          staleData: levels(duration, '10s', '60s'),
        })
        .prefault({}),
      circuitBreaker: z
        .strictObject({
          failures: positiveInteger().prefault(5),
          errorRate: fraction().prefault(0.5),
          window: duration().prefault('60s'),
          coolDown: duration().prefault('30s'),
        })
        .prefault({}),
    })
    .prefault({}),
  canary: z.strictObject({ percentage: percentage().prefault(DEFAULTS.canaryPercentage) }).prefault({}),
  reconcile: z
    .strictObject({
      ordersEvery: duration().prefault('10s'),
      balancesEvery: duration().prefault('60s'),
      haltOnDiscrepancy: z.boolean().prefault(false),
    })
    .prefault({}),
  database: z.strictObject({ url: databaseUrl() }).optional(),
  audit: z.strictObject({ keyFile: text().optional(), headsFile: text().optional(), shipHeads: bool().optional() }).optional(),
  cluster: z
    .strictObject({
      nats: url(['nats:', 'tls:', 'ws:', 'wss:'], 'a nats:// URL such as nats://127.0.0.1:4222').optional(),
      nodeId: text().optional(),
      failClosedAfter: duration().prefault('10s'),
    })
    .optional(),
  api: z
    .strictObject({ host: text().prefault(DEFAULTS.apiHost), port: port().prefault(DEFAULTS.apiPort) })
    .prefault({}),
  dataDir: text().prefault(DEFAULTS.dataDir),
  strategyDir: text().prefault(DEFAULTS.strategyDir),
})

export type ParsedConfig = z.output<typeof configSchema>

/** The schema of the value at `path` (object keys, list indices), or undefined when the path leaves the schema. */
export function schemaAt(path: readonly PropertyKey[], root: z.ZodType = configSchema): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root
  for (const key of path) {
    const inner = container(schema)
    if (inner instanceof z.ZodArray && typeof key === 'number') schema = inner.element as z.ZodType
    else if (inner instanceof z.ZodObject && typeof key === 'string' && Object.hasOwn(inner.shape, key)) schema = inner.shape[key] as z.ZodType
    else return undefined
  }
  return schema
}

/** The keys an object schema accepts, looking through optional/default wrappers and pipes. */
export function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  const inner = container(schema)
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined
}

/** The object or list schema inside optional/default/nullable wrappers and either side of a pipe. */
function container(schema: unknown): z.ZodObject | z.ZodArray | undefined {
  if (schema instanceof z.ZodObject || schema instanceof z.ZodArray) return schema
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodNullable) {
    return container(schema.unwrap())
  }
  if (schema instanceof z.ZodPipe) return container(schema.in) ?? container(schema.out)
  return undefined
}
