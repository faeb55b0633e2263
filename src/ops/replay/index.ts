/**
 * @module ops/replay
 * `sofia replay`: the adverse trades of a period and, for each, its decision re-run with today's code on the
 * recorded market data (see adverse.ts and decision.ts).
 */
export { selectAdverseTrades, loadTrails } from './adverse.js'
export type { AdverseTrade, AdverseOptions, OrderTrail, SessionRecord } from './adverse.js'
export { replayDecision, marketFiles } from './decision.js'
export type { DecisionReplay, DecisionReplayOptions, ReplayedIntent } from './decision.js'
export { replayAdverseTrades, formatReplayReport } from './report.js'
export type { ReplayReport, ReplayedTrade, ReplayReportOptions } from './report.js'
