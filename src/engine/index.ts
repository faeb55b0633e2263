/**
 * @module engine
 * Event bus, clocks and timers, the event loop and component lifecycle.
 */
export { EventBus } from './bus.js'
export type { Handler } from './bus.js'
export { SimulatedClock, WallClock } from './clock.js'
export { BinaryHeap } from './binary-heap.js'
export type { Clock, TimerCallback } from './clock.js'
export { Engine } from './engine.js'
export type { Component, MarketSource, RunStats } from './engine.js'
export { COMPONENT_STATES } from './events.js'
export type {
  EngineEvents,
  OrderIntent,
  OrderUpdated,
  OrderFilled,
  OrderDenied,
  ComponentState,
  ComponentStateChanged,
} from './events.js'
export { Prng } from './prng.js'
