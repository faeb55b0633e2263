/**
 * The market feed through repeated reconnects, on `sofia exchange-sim` with the real ccxt.pro client: each
 * `restart()` (an operator's POST /ws/restart) drops both streams' connections; every time, both are counted
 * as reconnected and both deliver again (trades and book). At the end the feed stops and its exchange's
 * sockets close within the bound, leaving nothing that would keep a stopping session alive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MarketEvent } from '../src/model/index.js'
import { closeCcxtExchange, createCcxtExchange } from '../src/venues/ccxt-exchange.js'
import { CcxtFeed } from '../src/venues/ccxt-feed.js'
import { control, startSim, stopSim } from './sim.js'
import type { Sim } from './sim.js'

let sim: Sim | undefined
beforeAll(async () => {
  sim = await startSim(['--tick-ms', '20', '--seed', '5', '--symbols', 'BTC/USDT', '--trade-probability', '1'])
})
afterAll(async () => stopSim(sim))

describe('the ccxt.pro market feed', () => {
  it('reconnects both streams on each of 8 restarts, delivers trades and books after each, and closes within 2 s', async () => {
    const exchange = createCcxtExchange({ exchangeId: 'binance', url: sim!.url })
    const stop = new AbortController()
    const errors: string[] = []
    const feed = new CcxtFeed({ venue: 'xsim', exchange, symbols: ['BTC/USDT'], signal: stop.signal, backoffMs: { min: 20, max: 200 }, onError: (m) => errors.push(`${Date.now()} ${m}`) })
    const seen: { kind: MarketEvent['kind']; at: number }[] = []
    const consumed = (async () => {
      for await (const batch of feed) for (const e of batch) seen.push({ kind: e.kind, at: Date.now() })
    })()
    const both = async (since: number): Promise<boolean> => {
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        const kinds = new Set(seen.filter((e) => e.at > since).map((e) => e.kind))
        if (kinds.has('trade') && kinds.has('quote')) return true
        await new Promise((r) => setTimeout(r, 20))
      }
      return false
    }
    try {
      expect(await both(0)).toBe(true)
      for (let i = 1; i <= 8; i++) {
        const r = await feed.restart()
        const after = Date.now()
        expect(r, `restart ${i}`).toMatchObject({ restarted: true, streams: 2 })
        expect(await both(after), `restart ${i}: both streams deliver again; seen since: ${[...new Set(seen.filter((e) => e.at > after).map((e) => e.kind))].join(',')}; errors: ${errors.join(' | ')}`).toBe(true)
        expect(feed.reconnectCount, `restart ${i}`).toBeGreaterThanOrEqual(2 * i)
      }
    } finally {
      stop.abort()
      await consumed
    }
    const t0 = Date.now()
    expect(await closeCcxtExchange(exchange)).toBe(true)
    expect(Date.now() - t0).toBeLessThan(2_000)
    // Nothing dials again after the close (ccxt's own backoff used to leave a timer that opened a socket later).
    await new Promise((r) => setTimeout(r, 1_500))
    expect((await control<{ wsClients: number }>(sim!, 'GET', '/sim/faults')).wsClients).toBe(0)
  }, 120_000)
})
