/**
 * @module risk/position-override
 * Position override: a size multiplier (e.g. 0.1 after a rollback) the caller applies to an order's amount
 * *before* the risk checks, so the checks judge the order that will actually be sent; and the runbook's
 * `max_position_pct`, a cap on each position (venue and symbol) at that fraction of equity, which the
 * max-position check applies on top of MAX_POSITION_USD (the tighter wins).
 *
 * `config/position_override.json`: `{"account": 0.1, "strategies": {"sma-cross": 0.5}, "max_position_pct":
 * 0.005}`, every key optional. A running session re-reads it within 5 s of a change (`watchPositionOverrideFile`).
 */
import { readFileSync, statSync } from 'node:fs'
import { Decimal, InputError, ONE } from '../model/index.js'
import type { DecimalLike, Instrument } from '../model/index.js'
import type { RiskContext, RiskLimits } from './context.js'

/** amount × multiplier, rounded down to the instrument's step (never more than asked). May be zero. */
export function applyPositionOverride(amount: Decimal, multiplier: Decimal, inst: Instrument): Decimal {
  if (multiplier.eq(ONE)) return amount
  return amount.mul(multiplier).div(inst.stepSize).toDecimalPlaces(0, Decimal.ROUND_DOWN).mul(inst.stepSize)
}

/** The whole account, or one strategy. */
export type PositionOverrideScope = 'account' | { readonly strategyId: string }

/**
 * Multipliers per account and per strategy. A strategy's effective multiplier is the tighter (smaller) of
 * its own and the account's, like trading states: an account-wide cut is never loosened by a strategy.
 */
export class PositionOverride {
  private account: Decimal = ONE
  private readonly strategies = new Map<string, Decimal>()
  /** Cap on each position as a fraction of equity (undefined: none). */
  private maxPct: number | undefined

  get maxPositionPct(): number | undefined {
    return this.maxPct
  }

  /** Sets the cap in (0, 1]; undefined removes it. */
  setMaxPositionPct(pct: number | undefined): void {
    if (pct !== undefined && !(Number.isFinite(pct) && pct > 0 && pct <= 1)) throw new InputError(`max_position_pct must be within (0, 1], got ${pct}`)
    this.maxPct = pct
  }

  /** The override in force after the last command, per scope (see `pin`). */
  private pinned: { readonly account?: Decimal; readonly strategies: ReadonlyMap<string, Decimal> } | undefined

  /**
   * Keeps `values` as the loosest a reload of the file may make each scope: what commands (an operator's, a
   * rollback's) set. Editing the file never lifts their reduction; a command (`sofia risk override`) does. At a
   * start, `values` is the override in force after the last command, as the store holds it.
   */
  pin(values: { readonly account?: DecimalLike; readonly strategies?: Readonly<Record<string, DecimalLike>> }): void {
    const account = values.account === undefined ? undefined : new Decimal(values.account)
    this.pinned = {
      ...(account !== undefined ? { account } : {}),
      strategies: new Map(Object.entries(values.strategies ?? {}).map(([id, m]) => [id, new Decimal(m)])),
    }
  }

  /** Pins one scope at `multiplier`, as a command just set it (the other pinned scopes stay): see `pin`. */
  pinScope(scope: PositionOverrideScope, multiplier: DecimalLike): void {
    const strategies = new Map(this.pinned?.strategies ?? [])
    let account = this.pinned?.account
    if (scope === 'account') account = new Decimal(multiplier)
    else strategies.set(scope.strategyId, new Decimal(multiplier))
    this.pinned = { ...(account !== undefined ? { account } : {}), strategies }
  }

  /** Replaces every override with `file`'s (what is not in it is removed), each scope no looser than its pinned value. */
  replace(file: PositionOverrideFile): void {
    const pinned = this.pinned
    const tighter = (a: DecimalLike | undefined, b: Decimal | undefined): DecimalLike | undefined =>
      a === undefined ? b : b === undefined || b.gte(a instanceof Decimal ? a : new Decimal(a)) ? a : b
    this.account = ONE
    this.strategies.clear()
    const account = tighter(file.account, pinned?.account)
    if (account !== undefined) this.set('account', account)
    for (const id of new Set([...Object.keys(file.strategies ?? {}), ...(pinned?.strategies.keys() ?? [])])) {
      this.set({ strategyId: id }, tighter(file.strategies?.[id], pinned?.strategies.get(id))!)
    }
    this.setMaxPositionPct(file.maxPositionPct)
  }

  /** The limits with MAX_POSITION_USD tightened to max_position_pct × equity, when that is set and tighter. */
  limitsFor(limits: RiskLimits, ctx: RiskContext): RiskLimits {
    if (this.maxPct === undefined) return limits
    const equity = ctx.equity()
    const cap = equity.isPositive() ? equity.mul(this.maxPct) : new Decimal(0)
    return limits.maxPositionNotional !== undefined && limits.maxPositionNotional.lte(cap) ? limits : { ...limits, maxPositionNotional: cap }
  }

  /** The multiplier to apply to an order of `strategyId` (1 when none is set). */
  get(strategyId: string): Decimal {
    const own = this.strategies.get(strategyId)
    return own === undefined || own.gte(this.account) ? this.account : own
  }

  /** Sets a multiplier in [0, 1]; 1 removes the override. A value outside throws: it is a configuration error. */
  set(scope: PositionOverrideScope, multiplier: DecimalLike): void {
    const m = multiplier instanceof Decimal ? multiplier : new Decimal(multiplier)
    if (!m.isFinite() || m.isNegative() || m.gt(ONE)) {
      throw new InputError(`position override multiplier must be within [0, 1], got ${String(multiplier)}`)
    }
    if (scope === 'account') this.account = m
    else if (m.eq(ONE)) this.strategies.delete(scope.strategyId)
    else this.strategies.set(scope.strategyId, m)
  }

  /** Every override in force, for status pages and the audit log. */
  snapshot(): { readonly account: string; readonly strategies: Readonly<Record<string, string>>; readonly maxPositionPct?: number } {
    return {
      account: this.account.toString(),
      strategies: Object.fromEntries([...this.strategies].map(([id, m]) => [id, m.toString()])),
      ...(this.maxPct !== undefined ? { maxPositionPct: this.maxPct } : {}),
    }
  }
}

/** What `config/position_override.json` says. */
export interface PositionOverrideFile {
  account?: string
  strategies?: Record<string, string>
  /** The runbook's `max_position_pct`: each position at most this fraction of equity. */
  maxPositionPct?: number
}

/**
 * Parses the file's text. `strategies` (ids the session runs), when given, refuses any other id. Errors are
 * one line naming the file and the key.
 */
export function parsePositionOverride(text: string, path: string, strategies?: readonly string[]): PositionOverrideFile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${path}: expected an object like {"account": 0.1}`)
  const o = raw as Record<string, unknown>
  const out: PositionOverrideFile = {}
  for (const key of Object.keys(o)) {
    if (key !== 'account' && key !== 'strategies' && key !== 'max_position_pct') throw new InputError(`${path}: ${key}: unknown key (expected account, strategies, max_position_pct)`)
  }
  const multiplier = (where: string, v: unknown): string => {
    const n = typeof v === 'number' || typeof v === 'string' ? Number(v) : NaN
    if (!Number.isFinite(n) || n < 0 || n > 1 || v === '') throw new InputError(`${path}: ${where}: expected a number from 0 to 1, got ${JSON.stringify(v)}`)
    return String(v)
  }
  if (o['account'] !== undefined) out.account = multiplier('account', o['account'])
  if (o['strategies'] !== undefined) {
    const s = o['strategies']
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new InputError(`${path}: strategies: expected an object of strategy id → multiplier`)
    for (const id of Object.keys(s)) {
      if (strategies !== undefined && !strategies.includes(id)) throw new InputError(`${path}: strategies.${id}: unknown strategy id (this session runs ${strategies.join(', ') || 'none'})`)
    }
    out.strategies = Object.fromEntries(Object.entries(s).map(([id, v]) => [id, multiplier(`strategies.${id}`, v)]))
  }
  if (o['max_position_pct'] !== undefined) {
    const v = o['max_position_pct']
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) throw new InputError(`${path}: max_position_pct: expected a fraction of equity in (0, 1] (0.005 = 0.5%), got ${JSON.stringify(v)}`)
    out.maxPositionPct = v
  }
  return out
}

export interface PositionOverrideWatch {
  stop(): void
}

/**
 * Re-reads `path` every `intervalMs` (default 1 s, so a change takes effect within 5 s) when its size or
 * modification time changed, or it appeared or vanished (a removed file is an empty override). A valid file
 * goes to `apply`; a bad one to `refuse` with the one-line error, and the override in force stays.
 */
export function watchPositionOverrideFile(
  path: string,
  o: { strategies?: readonly string[]; intervalMs?: number; apply(file: PositionOverrideFile): void; refuse(error: string): void },
): PositionOverrideWatch {
  const signature = (): string => {
    try {
      const st = statSync(path)
      return `${st.mtimeMs}:${st.size}`
    } catch {
      return 'absent'
    }
  }
  let seen = signature()
  const timer = setInterval(() => {
    const now = signature()
    if (now === seen) return
    seen = now
    let file: PositionOverrideFile
    try {
      file = now === 'absent' ? {} : parsePositionOverride(readFileSync(path, 'utf8'), path, o.strategies)
    } catch (error) {
      o.refuse(error instanceof Error ? error.message : String(error))
      return
    }
    o.apply(file)
  }, o.intervalMs ?? 1_000)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
