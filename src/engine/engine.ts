/**
 * @module engine/engine
 * The event loop shared by every mode. It pulls batches of market events from a source, moves the clock
 * (simulated time jumps to each event; wall time just is), fires due timers and publishes each event on
 * the bus. Batches keep the async cost off the per-event hot path.
 */
import type { MarketEvent } from '../model/index.js'
import { timeframeMs } from '../model/index.js'
import { EventBus } from './bus.js'
import type { Clock } from './clock.js'
import { SimulatedClock } from './clock.js'
import type { ComponentState, EngineEvents } from './events.js'

/** Market data arrives in batches of events in time order. */
export type MarketSource = AsyncIterable<readonly MarketEvent[]>

/** Something with a lifecycle that the engine starts before and stops after a run. */
export interface Component {
  readonly name: string
  start?(): void | Promise<void>
  stop?(): void | Promise<void>
}

export interface RunStats {
  readonly events: number
  readonly firstTimestamp: number | undefined
  readonly lastTimestamp: number | undefined
  readonly elapsedMs: number
  /** True when the run ended because `stop()` was called, not because the data ran out. */
  readonly interrupted: boolean
}

export class Engine {
  readonly bus = new EventBus<EngineEvents>()
  private readonly components: Component[] = []
  private readonly states = new Map<string, ComponentState>()
  private stopRequested = false

  constructor(readonly clock: Clock) {}

  add(component: Component): void {
    this.components.push(component)
    this.setState(component.name, 'ready')
  }

  state(name: string): ComponentState | undefined {
    return this.states.get(name)
  }

  setState(component: string, state: ComponentState, reason?: string): void {
    this.states.set(component, state)
    this.bus.publish('component', reason === undefined ? { component, state } : { component, state, reason })
  }

  /** Asks a running loop to end after the current batch. */
  stop(): void {
    this.stopRequested = true
  }

  /**
   * Starts the components, runs the source to its end (or `stop()`), then stops the components. A simulated
   * clock is first moved to the first event's time, so timers set at start count from the data, not from 0.
   */
  async run(source: MarketSource): Promise<RunStats> {
    const started = performance.now()
    this.stopRequested = false
    const iterator = source[Symbol.asyncIterator]()
    let next = await iterator.next()
    const sim = this.clock instanceof SimulatedClock ? this.clock : undefined
    const firstEvent = next.done === true ? undefined : next.value[0]
    if (sim !== undefined && firstEvent !== undefined && sim.now() < firstEvent.timestamp) sim.advanceTo(firstEvent.timestamp)
    for (const c of this.components) {
      await c.start?.()
      this.setState(c.name, 'running')
    }
    const bus = this.bus
    let events = 0
    let first: number | undefined
    let last: number | undefined
    // The bar close time is barCloseTime(bar), with the timeframe's length remembered from the bar before:
    // parsing '1m' with a regex per bar allocated a match array per bar.
    let timeframe: string | undefined
    let timeframeLength = 0
    try {
      while (next.done !== true) {
        const batch = next.value
        for (let i = 0; i < batch.length; i++) {
          const event = batch[i]!
          // A bar is stamped with its open time but is only known at its close: no look-ahead.
          if (sim !== undefined) {
            if (event.kind === 'bar') {
              if (event.timeframe !== timeframe) {
                timeframe = event.timeframe
                timeframeLength = timeframeMs(timeframe) ?? 0
              }
              sim.advanceTo(event.timestamp + timeframeLength)
            } else sim.advanceTo(event.timestamp)
          }
          bus.publish('market', event)
        }
        events += batch.length
        if (batch.length > 0) {
          first ??= batch[0]!.timestamp
          last = batch[batch.length - 1]!.timestamp
        }
        if (this.stopRequested) {
          await iterator.return?.()
          break
        }
        next = await iterator.next()
      }
    } finally {
      for (const c of [...this.components].reverse()) {
        await c.stop?.()
        this.setState(c.name, 'stopped')
      }
    }
    return {
      events,
      firstTimestamp: first,
      lastTimestamp: last,
      elapsedMs: performance.now() - started,
      interrupted: this.stopRequested,
    }
  }
}
