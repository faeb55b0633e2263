/**
 * @module risk/trading-state
 * Trading states per account and per strategy. The effective state of a strategy is the most restrictive of
 * the account's, its own, and the kill switch's: an active kill switch is HALTED (only cancels and queries),
 * never merely REDUCING — reducing sells after a crash trip are exactly what liquidates inventory at the low.
 * REDUCING is what an operator sets (`live-toggle off`).
 */
import type { TradingState } from './context.js'

const SEVERITY: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 }

export function stricter(a: TradingState, b: TradingState): TradingState {
  return SEVERITY[a] >= SEVERITY[b] ? a : b
}

export interface TradingStatesSnapshot {
  readonly account: TradingState
  readonly strategies: Readonly<Record<string, TradingState>>
}

export class TradingStates {
  private account: TradingState
  private readonly strategies = new Map<string, TradingState>()

  constructor(initial?: TradingStatesSnapshot) {
    this.account = initial?.account ?? 'ACTIVE'
    for (const [id, state] of Object.entries(initial?.strategies ?? {})) this.strategies.set(id, state)
  }

  get accountState(): TradingState {
    return this.account
  }

  strategyState(strategyId: string): TradingState {
    return this.strategies.get(strategyId) ?? 'ACTIVE'
  }

  /** Sets the account's (no strategy) or one strategy's state; returns whether it changed. */
  set(state: TradingState, strategyId?: string): boolean {
    if (strategyId === undefined) {
      if (this.account === state) return false
      this.account = state
      return true
    }
    if (this.strategyState(strategyId) === state) return false
    if (state === 'ACTIVE') this.strategies.delete(strategyId)
    else this.strategies.set(strategyId, state)
    return true
  }

  effective(strategyId: string, killSwitchActive: boolean): TradingState {
    const s = stricter(this.account, this.strategyState(strategyId))
    return killSwitchActive ? 'HALTED' : s
  }

  snapshot(): TradingStatesSnapshot {
    return { account: this.account, strategies: Object.fromEntries(this.strategies) }
  }
}
