/**
 * @module engine/events
 * The events that flow through the engine's bus. Commands are imperative, events past tense.
 */
import type { MarketEvent, Order, OrderEvent, OrderOptions, OrderSide, OrderType, Trade, Decimal } from '../model/index.js'

/** What a strategy asks for, before risk and execution turn it into an order. */
export interface OrderIntent {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  readonly amount: Decimal
  readonly price?: Decimal
  /** The price the strategy saw when deciding (for slippage accounting). */
  readonly decisionPrice?: Decimal
  /** Free-form label kept with the order (e.g. `entry`, `arb-leg-1`). */
  readonly tag?: string
  /** Time in force, reduce-only, trigger, trailing stop, bracket. */
  readonly options?: OrderOptions
}

export interface OrderUpdated {
  readonly order: Order
  readonly event: OrderEvent
  /**
   * Set when the event settles an order of an earlier run at start-up (lost in a restart), not an answer of
   * the venue now: health monitors and circuit breakers leave it out.
   */
  readonly recovered?: true
}

export interface OrderFilled {
  readonly order: Order
  readonly trade: Trade
}

export interface OrderDenied {
  readonly order: Order
  readonly code: string
  readonly reason: string
}

/** A component changed lifecycle state or reported a problem. */
export interface ComponentStateChanged {
  readonly component: string
  readonly state: ComponentState
  readonly reason?: string
}

export const COMPONENT_STATES = ['ready', 'running', 'stopped', 'degraded', 'faulted'] as const
export type ComponentState = (typeof COMPONENT_STATES)[number]

/** Topic map of the engine bus. Later layers (audit, risk monitors, metrics) subscribe to these. */
/**
 * An order Sofia worked itself (emulated: never sent) was dropped before its trigger fired, by its strategy, a
 * cancel-all (the kill switch) or its bracket sibling: the order, now in state `canceled`. Not an order event
 * of the venue's: nothing is stored for it beyond the emulated list and its audit record.
 */
export interface EmulatedCanceled {
  readonly order: Order
  readonly reason: string
}

export interface EngineEvents {
  market: MarketEvent
  order: OrderUpdated
  fill: OrderFilled
  denied: OrderDenied
  component: ComponentStateChanged
  emulatedCanceled: EmulatedCanceled
}
