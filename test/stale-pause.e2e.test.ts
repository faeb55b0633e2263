/**
 * A stale feed pauses the strategies that depend on it, not the account: on the wall clock, with the
 * staleness monitor live, one of two feeds goes silent; the strategy on it (and one whose feeds are not known
 * yet: no parameters naming them, no order sent — fail closed) may only reduce, the strategy on the other
 * feed trades on, and all resume when data flows.
 */
import { describe, expect, it } from 'vitest'
import { WallClock } from '../src/engine/index.js'
import type { MarketSource } from '../src/engine/index.js'
import { dec, makeInstrument } from '../src/model/index.js'
import type { MarketEvent } from '../src/model/index.js'
import type { Strategy, StrategyContext } from '../src/strategy/index.js'
import { DEFAULT_RISK, Trader } from '../src/system/index.js'

const BTC = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001', makerFee: '0.001', takerFee: '0.001' })
const ETH = makeInstrument({ symbol: 'ETH/USDT', tickSize: '0.01', stepSize: '0.001', makerFee: '0.001', takerFee: '0.001' })

/** Buys a little of its symbol every 100 ms of wall time, from `afterMs` on. */
class Buyer implements Strategy {
  private readonly start = Date.now()
  constructor(readonly id: string, private readonly symbol: string, private readonly afterMs = 0) {}
  onStart(ctx: StrategyContext): void {
    ctx.setTimer('buy', 100)
  }
  onTimer(_name: string, ctx: StrategyContext): void {
    if (Date.now() - this.start < this.afterMs) return
    ctx.submit({ venue: 'sim', symbol: this.symbol, side: 'buy', type: 'market', amount: '0.001' })
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Both feeds for 1 s, BTC alone for 3.5 s (ETH silent), both again for 2 s. */
function market(): MarketSource {
  return {
    async *[Symbol.asyncIterator]() {
      const start = Date.now()
      for (;;) {
        const t = Date.now() - start
        if (t > 6_500) return
        const batch: MarketEvent[] = [{ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: Date.now(), price: 50_000, amount: 1 }]
        if (t < 1_000 || t > 4_500) batch.push({ kind: 'trade', venue: 'sim', symbol: 'ETH/USDT', timestamp: Date.now(), price: 3_000, amount: 1 })
        yield batch
        await sleep(50)
      }
    },
  }
}

describe('stale data pauses the strategies that depend on it', () => {
  it('only the strategies on the silent feed (and those with unknown feeds) are held to reducing orders', async () => {
    const trader = Trader.inMemory({
      clock: new WallClock(),
      venues: [{ id: 'sim', instruments: [BTC, ETH], balances: { USDT: '10000000' } }],
      strategies: [new Buyer('btc', 'BTC/USDT'), new Buyer('eth', 'ETH/USDT'), new Buyer('blind', 'BTC/USDT', 2_500)],
      strategyParams: { btc: { name: 'buyer', params: { venue: 'sim', symbol: 'BTC/USDT' } }, eth: { name: 'buyer', params: { venue: 'sim', symbol: 'ETH/USDT' } } },
      reportingCurrency: 'USDT',
      equitySampleMs: 1_000,
      riskSettings: { ...DEFAULT_RISK, limits: {}, monitors: { dataStalenessSec: { warning: 0.4, critical: 0.8 } } },
    })
    const seen = { btc: new Set<string>(), eth: new Set<string>(), blind: new Set<string>() }
    const denied: Record<string, number> = { btc: 0, eth: 0, blind: 0 }
    const sampler = setInterval(() => {
      for (const id of ['btc', 'eth', 'blind'] as const) seen[id].add(trader.safety.tradingState(id))
    }, 50)
    trader.engine.bus.on('order', ({ order, event }) => {
      if (event.type === 'denied') denied[order.strategyId] = (denied[order.strategyId] ?? 0) + 1
    })
    let pausedDuring: ReadonlyMap<string, readonly string[]> | undefined
    const probe = setTimeout(() => (pausedDuring = new Map(trader.safety.stalePauses())), 3_500)
    try {
      await trader.run(market())
    } finally {
      clearInterval(sampler)
      clearTimeout(probe)
    }
    expect([...seen.btc]).toEqual(['ACTIVE'])
    expect(seen.eth).toEqual(new Set(['ACTIVE', 'REDUCING']))
    expect(seen.blind).toEqual(new Set(['ACTIVE', 'REDUCING']))
    expect(pausedDuring).toEqual(new Map([['eth', ['sim:ETH/USDT']], ['blind', ['sim:ETH/USDT']]]))
    expect(denied['btc']).toBe(0)
    expect(denied['eth']).toBeGreaterThan(3)
    expect(denied['blind']).toBeGreaterThan(3)
    // Once it traded, the strategy without parameters depends on what it trades (BTC) only.
    // Data flows again: nothing is paused at the end, and the account itself was never touched.
    expect(trader.safety.stalePauses().size).toBe(0)
    expect(trader.safety.status().tradingStates.account).toBe('ACTIVE')
    expect(trader.ledger.position('sim', 'ETH/USDT').amount.gt(dec(0))).toBe(true)
  }, 20_000)
})
