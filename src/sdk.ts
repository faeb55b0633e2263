/**
 * @module sdk
 * What a strategy file imports from `'sofia'`: `defineStrategy`, zod's `z` for its parameters, the
 * indicator library (`indicators`, trading-signals: SMA, EMA, RSI, BollingerBands, MACD, ATR, …), the exact
 * decimal type, and the types of the strategy API.
 *
 * ```ts
 * import { defineStrategy, indicators, z } from 'sofia'
 * export default defineStrategy({
 *   name: 'rsi-reversion',
 *   params: z.object({ period: z.coerce.number().int().default(14) }),
 *   create: (p) => {
 *     const rsi = new indicators.RSI(p.period)
 *     return { onBar(bar, ctx) { rsi.add(bar.close); … } }
 *   },
 * })
 * ```
 */
export { z } from 'zod'
export * as indicators from 'trading-signals'
export { defineStrategy } from './strategy/define.js'
export type { StrategyHandlers, StrategySpecification, UserStrategyDefinition } from './strategy/define.js'
export type { Strategy, StrategyContext, SubmitRequest, TopOfBook, OrderDeniedInfo } from './strategy/strategy.js'
export { Decimal, dec } from './model/index.js'
export type { Bar, TradeTick, QuoteTick, BookUpdate, Instrument, Order, Trade, OrderSide, OrderType, TimeInForce, TriggerDirection } from './model/index.js'
