/**
 * @module strategy/market-state
 * The latest price and top of book per venue and symbol, kept with plain numbers on the hot path
 * (nested maps: no key strings built per event).
 */
import type { MarketEvent } from '../model/index.js'

export interface SymbolState {
  /** Last trade price (or bar close); quotes do not set it. */
  last: number | undefined
  bid: number | undefined
  bidSize: number
  ask: number | undefined
  askSize: number
  timestamp: number
  /** True once a bar arrived for this symbol: bars then come from the data, not from ticks. */
  hasBars: boolean
}

/** One (venue, symbol) and its state. */
export interface MarketEntry {
  readonly venue: string
  readonly symbol: string
  readonly state: Readonly<SymbolState>
}

export class MarketState {
  private readonly venues = new Map<string, Map<string, SymbolState>>()
  private readonly list: MarketEntry[] = []
  private updates = 0

  /** Counts the events taken: the same count means every state is as it was (states change only in `update`). */
  get changes(): number {
    return this.updates
  }

  get(venue: string, symbol: string): Readonly<SymbolState> | undefined {
    return this.venues.get(venue)?.get(symbol)
  }

  /** Every (venue, symbol) seen so far, in the order first seen (the list itself: iterate it, do not keep it). */
  entries(): readonly MarketEntry[] {
    return this.list
  }

  update(event: MarketEvent): void {
    this.updates++
    let symbols = this.venues.get(event.venue)
    if (symbols === undefined) {
      symbols = new Map()
      this.venues.set(event.venue, symbols)
    }
    let s = symbols.get(event.symbol)
    if (s === undefined) {
      s = { last: undefined, bid: undefined, bidSize: 0, ask: undefined, askSize: 0, timestamp: 0, hasBars: false }
      symbols.set(event.symbol, s)
      this.list.push({ venue: event.venue, symbol: event.symbol, state: s })
    }
    s.timestamp = event.timestamp
    switch (event.kind) {
      case 'trade':
        s.last = event.price
        break
      case 'quote':
        s.bid = event.bid
        s.bidSize = event.bidSize
        s.ask = event.ask
        s.askSize = event.askSize
        break
      case 'book': {
        // Only snapshots say where the top is; a delta's first level need not be the best.
        if (!event.snapshot) break
        const bid = event.bids[0]
        const ask = event.asks[0]
        s.bid = bid?.[0]
        s.bidSize = bid?.[1] ?? 0
        s.ask = ask?.[0]
        s.askSize = ask?.[1] ?? 0
        break
      }
      case 'bar':
        s.last = event.close
        s.hasBars = true
        break
    }
  }

  lastPrice(venue: string, symbol: string): number | undefined {
    return this.get(venue, symbol)?.last
  }
}
