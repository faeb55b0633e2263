/**
 * @module strategy/define
 * `defineStrategy`: how a user's strategy file declares itself. The file default-exports
 * `defineStrategy({ name, description, params, create })`; `create(params, { id })` returns the handlers
 * (`onBar`, `onTrade`, `onFill`, …, all optional), as a plain object or a class instance. The handlers may
 * also name the bar `timeframes` they want and how many completed bars to keep for `ctx.bars` (`history`).
 */
import type { z } from 'zod'
import type { Strategy, StrategyDefinition } from './strategy.js'

/** What `create` returns: the Strategy handlers without the id (Sofia assigns it). */
export type StrategyHandlers = Omit<Strategy, 'id' | 'barTimeframe' | 'barTimeframes' | 'historyBars'> & {
  /** Bar timeframes to receive (default: the `timeframe` parameter when there is one, else every bar). */
  readonly timeframes?: readonly string[]
  /** Completed bars kept per market and timeframe for `ctx.bars` (default 500). */
  readonly history?: number
}

export interface StrategySpecification<S extends z.ZodType> {
  /** Lower-case letters, digits and dashes: the strategy id in orders, fills, reports and the registry. */
  readonly name: string
  readonly description?: string
  /** A zod object of the parameters, with defaults (`--param key=value` values are coerced to it). */
  readonly params: S
  create(params: z.output<S>, info: { readonly id: string }): StrategyHandlers
}

/** Marks definitions made by `defineStrategy` (a global symbol: the same across copies of the SDK). */
export const USER_STRATEGY = Symbol.for('sofia.userStrategy')

export interface UserStrategyDefinition<S extends z.ZodType = z.ZodType> extends StrategyDefinition<S> {
  readonly [USER_STRATEGY]: true
}

const HANDLERS = ['onStart', 'onStop', 'onBar', 'onTrade', 'onQuote', 'onBook', 'onFill', 'onOrder', 'onDenied', 'onTimer'] as const

const NAME = /^[a-z][a-z0-9-]{0,63}$/

/** Declares a strategy (see the module's description). Throws on a malformed specification. */
export function defineStrategy<S extends z.ZodType>(spec: StrategySpecification<S>): UserStrategyDefinition<S> {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('defineStrategy: expected { name, description, params, create }')
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    throw new TypeError(`defineStrategy: name must be lower-case letters, digits and dashes (e.g. 'rsi-reversion'), got ${JSON.stringify(spec.name)}`)
  }
  if (spec.params === undefined || typeof (spec.params as { safeParse?: unknown }).safeParse !== 'function') {
    throw new TypeError(`defineStrategy ${spec.name}: params must be a zod schema (z.object({ … }))`)
  }
  if (typeof spec.create !== 'function') throw new TypeError(`defineStrategy ${spec.name}: create must be a function (params, { id }) => handlers`)
  return {
    [USER_STRATEGY]: true,
    name: spec.name,
    description: spec.description ?? '',
    params: spec.params,
    create: (id, params) => bind(id, params, spec.create(params, { id })),
  }
}

export function isUserStrategy(value: unknown): value is UserStrategyDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[USER_STRATEGY] === true
}

/** The Strategy Sofia runs: the handlers called with themselves as `this` (class instances keep working). */
function bind(id: string, params: unknown, h: StrategyHandlers): Strategy {
  if (typeof h !== 'object' || h === null) throw new TypeError(`strategy ${id}: create must return an object of handlers (onBar, onTrade, …)`)
  const timeframe = (params as { timeframe?: unknown } | undefined)?.timeframe
  const timeframes = h.timeframes ?? (typeof timeframe === 'string' ? [timeframe] : undefined)
  const strategy: Record<string, unknown> = { id, historyBars: h.history ?? 500 }
  if (timeframes !== undefined) strategy['barTimeframes'] = timeframes
  for (const name of HANDLERS) {
    const fn = h[name] as ((...args: unknown[]) => unknown) | undefined
    if (typeof fn === 'function') strategy[name] = (...args: unknown[]) => fn.apply(h, args)
  }
  return strategy as unknown as Strategy
}
