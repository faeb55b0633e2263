/**
 * @module strategy
 * The Strategy API, the built-in strategies and their registry. Test support (a fake StrategyContext) is
 * exported from `strategy/testing.ts` directly, not from here, so production code never pulls it in.
 */
export type { Strategy, StrategyContext, StrategyDefinition, SubmitRequest, TopOfBook, OrderDeniedInfo } from './strategy.js'
export { STRATEGIES, createStrategy, findStrategy, listStrategies, formatStrategies, strategyParamNames } from './registry.js'
export type { RawParams, StrategyInfo, StrategyParamInfo } from './registry.js'
export { SmaCross, SmaPair, smaCross, smaCrossParams } from './sma-cross.js'
export type { SmaCrossParams } from './sma-cross.js'
export { CrossVenueArb, crossVenueArb, crossVenueArbParams } from './cross-venue-arb.js'
export type { CrossVenueArbParams } from './cross-venue-arb.js'
export { MarketMaker, marketMaker, marketMakerParams } from './market-maker.js'
export type { MarketMakerParams } from './market-maker.js'
export { instantiateStrategy, registerStrategy, strategyFile, strategyOrigin } from './registry.js'
export type { StrategyOrigin } from './registry.js'
export { defineStrategy, isUserStrategy } from './define.js'
export type { StrategyHandlers, StrategySpecification, UserStrategyDefinition } from './define.js'
export { DEFAULT_STRATEGY_DIR, loadStrategyFile, looksLikePath, resolveStrategies, resolveStrategy, strategyFiles } from './files.js'
export { STRATEGY_NAME, strategyTemplate, strategyTestTemplate } from './scaffold.js'
