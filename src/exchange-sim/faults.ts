/**
 * @module exchange-sim/faults
 * Fault injection for the local exchange: added latency, 429s with Retry-After, 5xx answers, requests never
 * answered (or answered late), orders accepted whose response is dropped, WebSocket disconnects and a stale
 * feed. A fault fires on the next N matching requests (`next`) or with probability `probability`, drawn from a
 * PRNG seeded with the simulator's seed, so the same seed and the same request sequence give the same faults.
 *
 * File format (YAML or JSON), every key optional:
 * ```yaml
 * latencyMs: 20                      # added to every request
 * latencyByEndpoint: { "POST /api/v3/order": 100, "/api/v3/depth": 50 }
 * rateLimit:   { next: 2, retryAfterS: 1 }          # HTTP 429, code -1003, Retry-After header
 * serverError: { probability: 0.05, status: 503 }   # 500 | 502 | 503 | 504, HTML body like a gateway
 * timeout:     { next: 1, afterMs: 5000 }           # answer after afterMs; without afterMs never answer
 * dropResponse: { next: 1, endpoints: ["POST /api/v3/order"] }  # handled, then the socket is destroyed
 * wsDisconnectEveryMs: 10000                        # close every WebSocket this often
 * staleForMs: 3000                                  # market frozen and public WS silent for this long
 * ```
 * An endpoint is `"METHOD /path"` or `"/path"` (any method). Rules without `endpoints` match every request
 * except the simulator's own `/sim/*` control endpoints.
 */
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { Prng } from '../engine/index.js'
import { InputError } from '../model/index.js'

export const SERVER_ERROR_STATUSES = [500, 502, 503, 504] as const
export type ServerErrorStatus = (typeof SERVER_ERROR_STATUSES)[number]

export interface FaultRule {
  readonly endpoints?: readonly string[]
  /** Fire on the next N matching requests. */
  readonly next?: number
  /** Fire with this probability (0–1) on each matching request. */
  readonly probability?: number
}

export interface FaultConfig {
  readonly latencyMs?: number
  readonly latencyByEndpoint?: Readonly<Record<string, number>>
  readonly rateLimit?: FaultRule & { readonly retryAfterS?: number }
  readonly serverError?: FaultRule & { readonly status?: ServerErrorStatus }
  readonly timeout?: FaultRule & { readonly afterMs?: number }
  readonly dropResponse?: FaultRule
  readonly wsDisconnectEveryMs?: number
  readonly staleForMs?: number
}

/** What to do with one request, decided before it is handled (except `drop`, applied after). */
export interface FaultDecision {
  latencyMs: number
  rateLimitRetryAfterS?: number
  serverErrorStatus?: ServerErrorStatus
  /** Delay before answering; Infinity = never answer. */
  timeoutMs?: number
  drop: boolean
}

const RULE_KEYS = ['rateLimit', 'serverError', 'timeout', 'dropResponse'] as const
type RuleKey = (typeof RULE_KEYS)[number]
const TOP_KEYS = new Set(['latencyMs', 'latencyByEndpoint', 'wsDisconnectEveryMs', 'staleForMs', ...RULE_KEYS])

/** Validates a parsed fault object; `where` names the source in messages. */
export function parseFaultConfig(raw: unknown, where: string): FaultConfig {
  if (raw === null || raw === undefined) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${where}: expected an object of faults`)
  const obj = raw as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (!TOP_KEYS.has(key)) throw new InputError(`${where}: unknown fault '${key}' (known: ${[...TOP_KEYS].join(', ')})`)
  }
  const num = (value: unknown, name: string, max = Infinity): number | undefined => {
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      throw new InputError(`${where}: ${name} must be a number in [0, ${max}]`)
    }
    return value
  }
  const rule = (key: RuleKey): Record<string, unknown> | undefined => {
    const r = obj[key]
    if (r === undefined) return undefined
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InputError(`${where}: ${key} must be an object`)
    const o = r as Record<string, unknown>
    const allowed = new Set(['endpoints', 'next', 'probability', 'retryAfterS', 'status', 'afterMs'])
    for (const k of Object.keys(o)) if (!allowed.has(k)) throw new InputError(`${where}: ${key}.${k} is not a fault setting`)
    const endpoints = o['endpoints']
    if (endpoints !== undefined && (!Array.isArray(endpoints) || !endpoints.every((e) => typeof e === 'string'))) {
      throw new InputError(`${where}: ${key}.endpoints must be a list of "METHOD /path" strings`)
    }
    const next = num(o['next'], `${key}.next`)
    if (next !== undefined && !Number.isInteger(next)) throw new InputError(`${where}: ${key}.next must be an integer`)
    const probability = num(o['probability'], `${key}.probability`, 1)
    if (next === undefined && probability === undefined) throw new InputError(`${where}: ${key} needs 'next' or 'probability'`)
    return {
      ...(endpoints !== undefined ? { endpoints: endpoints as string[] } : {}),
      ...(next !== undefined ? { next } : {}),
      ...(probability !== undefined ? { probability } : {}),
    }
  }
  const out: {
    -readonly [K in keyof FaultConfig]: FaultConfig[K]
  } = {}
  const latencyMs = num(obj['latencyMs'], 'latencyMs')
  if (latencyMs !== undefined) out.latencyMs = latencyMs
  const byEndpoint = obj['latencyByEndpoint']
  if (byEndpoint !== undefined) {
    if (typeof byEndpoint !== 'object' || byEndpoint === null) throw new InputError(`${where}: latencyByEndpoint must be an object`)
    const map: Record<string, number> = {}
    for (const [k, v] of Object.entries(byEndpoint)) map[k] = num(v, `latencyByEndpoint.${k}`) ?? 0
    out.latencyByEndpoint = map
  }
  const rl = rule('rateLimit')
  if (rl !== undefined) {
    const retryAfterS = num((obj['rateLimit'] as Record<string, unknown>)['retryAfterS'], 'rateLimit.retryAfterS')
    out.rateLimit = { ...rl, ...(retryAfterS !== undefined ? { retryAfterS } : {}) }
  }
  const se = rule('serverError')
  if (se !== undefined) {
    const status = (obj['serverError'] as Record<string, unknown>)['status']
    if (status !== undefined && !SERVER_ERROR_STATUSES.includes(status as ServerErrorStatus)) {
      throw new InputError(`${where}: serverError.status must be one of ${SERVER_ERROR_STATUSES.join(', ')}`)
    }
    out.serverError = { ...se, ...(status !== undefined ? { status: status as ServerErrorStatus } : {}) }
  }
  const to = rule('timeout')
  if (to !== undefined) {
    const afterMs = num((obj['timeout'] as Record<string, unknown>)['afterMs'], 'timeout.afterMs')
    out.timeout = { ...to, ...(afterMs !== undefined ? { afterMs } : {}) }
  }
  const dr = rule('dropResponse')
  if (dr !== undefined) out.dropResponse = dr
  const every = num(obj['wsDisconnectEveryMs'], 'wsDisconnectEveryMs')
  if (every !== undefined) out.wsDisconnectEveryMs = every
  const stale = num(obj['staleForMs'], 'staleForMs')
  if (stale !== undefined) out.staleForMs = stale
  return out
}

/** Reads a YAML or JSON fault file (JSON is YAML, so one parser reads both). */
export async function loadFaultFile(file: string): Promise<FaultConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new InputError(`--faults ${file}: ${(error as Error).message}`, { cause: error })
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (error) {
    throw new InputError(`--faults ${file}: not YAML or JSON: ${(error as Error).message}`, { cause: error })
  }
  return parseFaultConfig(raw, `--faults ${file}`)
}

function matches(endpoints: readonly string[] | undefined, method: string, path: string): boolean {
  if (endpoints === undefined) return true
  return endpoints.some((e) => e === path || e === `${method} ${path}`)
}

/** The live fault state: a config plus the countdowns of its `next` rules. */
export class FaultInjector {
  private config: FaultConfig = {}
  private remaining = new Map<RuleKey, number>()
  private readonly prng: Prng
  /** Wall time until which the feed is stale. */
  staleUntil = 0

  constructor(
    seed: number,
    private readonly now: () => number = Date.now,
  ) {
    // A stream of its own, so faults never shift the market's random walk.
    this.prng = new Prng((seed ^ 0x5f3759df) >>> 0)
  }

  get current(): FaultConfig {
    return this.config
  }

  /** How many requests each `next` rule will still hit (a test sees when its faulted requests have arrived). */
  get remainingNext(): Partial<Record<RuleKey, number>> {
    return Object.fromEntries(this.remaining)
  }

  /** Replaces the whole configuration (countdowns restart; `staleForMs` starts a stale period now). */
  set(config: FaultConfig): void {
    this.config = config
    this.remaining = new Map()
    for (const key of RULE_KEYS) {
      const next = config[key]?.next
      if (next !== undefined) this.remaining.set(key, next)
    }
    this.staleUntil = config.staleForMs !== undefined ? this.now() + config.staleForMs : 0
  }

  isStale(): boolean {
    return this.staleUntil > this.now()
  }

  private fires(key: RuleKey, method: string, path: string): boolean {
    const rule = this.config[key]
    if (rule === undefined || !matches(rule.endpoints, method, path)) return false
    const left = this.remaining.get(key)
    if (left !== undefined && left > 0) {
      this.remaining.set(key, left - 1)
      return true
    }
    return rule.probability !== undefined && this.prng.next() < rule.probability
  }

  decide(method: string, path: string): FaultDecision {
    const c = this.config
    const latencyMs = (c.latencyMs ?? 0) + (c.latencyByEndpoint?.[`${method} ${path}`] ?? c.latencyByEndpoint?.[path] ?? 0)
    const decision: FaultDecision = { latencyMs, drop: false }
    if (this.fires('timeout', method, path)) decision.timeoutMs = c.timeout?.afterMs ?? Infinity
    else if (this.fires('rateLimit', method, path)) decision.rateLimitRetryAfterS = c.rateLimit?.retryAfterS ?? 1
    else if (this.fires('serverError', method, path)) decision.serverErrorStatus = c.serverError?.status ?? 503
    else if (this.fires('dropResponse', method, path)) decision.drop = true
    return decision
  }
}
