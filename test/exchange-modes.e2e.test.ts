/**
 * End-to-end: sessions on `sofia exchange-sim`'s market data (the real ccxt.pro feed and adapter) through
 * the mode router — paper → shadow → canary → live switched in one running session, with a deterministic
 * strategy (one market order per timer tick) — plus a stale feed pausing risk-adding orders.
 */
import { describe, expect, it } from 'vitest'
import { dec } from '../src/model/index.js'
import type { Decimal, Order, Trade } from '../src/model/index.js'
import { createMetrics } from '../src/observability/index.js'
import { MemoryStore } from '../src/store/index.js'
import type { Strategy } from '../src/strategy/index.js'
import { DEFAULT_RISK } from '../src/system/index.js'
import { buildSimSession, readAudit, timerStrategy } from './session-helpers.js'
import { control, sleep, useSim, waitFor } from './sim.js'

const SYMBOL = 'BTC/USDT'
const sim = useSim(['--tick-ms', '50', '--seed', '4', '--symbols', SYMBOL, '--trade-probability', '1', '--api-key', 'MK', '--api-secret', 'MS', '--account', 'ST:SS', '--balance', 'USDT=100000', '--balance', 'BTC=10'])

/** One market order of `amount` every `everyMs`, alternating buy and sell. */
function metronome(amount: string, everyMs: number): Strategy {
  let n = 0
  return timerStrategy('metronome', 'tick', everyMs, (ctx) => {
    ctx.submit({ venue: 'xsim', symbol: SYMBOL, side: n++ % 2 === 0 ? 'buy' : 'sell', type: 'market', amount })
  })
}

type SimTrade = { clientOrderId: string; amount: number; info: { qty: string } }
type SimOrder = { clientOrderId: string; status: string; origQty: string }

describe('modes on the local exchange', () => {
  it('paper → shadow → canary → live: nothing reaches the exchange until canary, canary fills are CANARY_PERCENTAGE of the shadow fills, switches cancel open orders and are audited', async () => {
    const store = new MemoryStore()
    const fills: Array<{ mode: string; order: Order; trade: Trade }> = []
    let mode = 'paper'
    const built = await buildSimSession(sim(), {
      mode: 'paper',
      keys: { apiKey: 'MK', secret: 'MS' },
      symbols: [SYMBOL],
      strategies: [metronome('0.01', 300)],
      canaryPercentage: 10,
      store,
    })
    const session = built.exchange!
    built.subscribe('fill', ({ order, trade }) => fills.push({ mode, order, trade }))
    const running = built.start().then((o) => o.exchange!)
    const exchangeOrders = () => control<SimOrder[]>(sim(), 'GET', '/sim/orders?apiKey=MK')
    const exchangeTrades = () => control<SimTrade[]>(sim(), 'GET', '/sim/trades?apiKey=MK')
    const step = async (to: string) => {
      // A resting order far from the market: the switch must cancel it (and nothing may be left behind).
      const bid = session.trader.market.lastPrice('xsim', SYMBOL)!
      const resting = session.trader.orders.submit({ strategyId: 'resting', venue: 'xsim', symbol: SYMBOL, side: 'buy', type: 'limit', amount: dec('0.001'), price: dec(Math.floor(bid * 0.9)) })
      await waitFor(() => resting.state === 'open', 3_000)
      const r = await session.command('mode.set', { mode: to }, 'operator:test')
      expect(r.ok, r.error).toBe(true)
      expect(resting.state).toBe('canceled')
      expect(session.trader.orders.openOrders()).toHaveLength(0)
      mode = to
    }
    try {
      expect(await waitFor(() => fills.length >= 2, 10_000)).toBe(true)
      expect(session.router.status().shadowOrders).toBe(0)
      await step('shadow')
      expect(await waitFor(() => fills.filter((f) => f.mode === 'shadow').length >= 2, 10_000)).toBe(true)
      expect(session.router.status().shadowOrders).toBeGreaterThanOrEqual(2)
      expect(await exchangeOrders()).toHaveLength(0) // shadow sends nothing
      await step('canary')
      expect(await waitFor(() => fills.filter((f) => f.mode === 'canary').length >= 3, 10_000)).toBe(true)
      await sleep(600)
      await step('live')
      expect(await waitFor(() => fills.filter((f) => f.mode === 'live').length >= 2, 10_000)).toBe(true)
      const rollback = await session.command('shadow.rollback', {}, 'operator:test')
      expect(rollback.ok, rollback.error).toBe(true)
      expect(session.router.mode).toBe('shadow')
    } finally {
      built.stop()
    }
    const result = await running
    // Canary: every exchange fill is 10% of the shadow fill of the same intent (same client order id).
    const trades = await exchangeTrades()
    const byId = (list: Array<{ id: string; amount: Decimal }>) => {
      const m = new Map<string, Decimal>()
      for (const t of list) m.set(t.id, (m.get(t.id) ?? dec(0)).add(t.amount))
      return m
    }
    const exchange = byId(trades.map((t) => ({ id: t.clientOrderId, amount: dec(t.info.qty) })))
    const canary = byId(fills.filter((f) => f.mode === 'canary' && f.order.strategyId === 'metronome').map((f) => ({ id: f.order.clientOrderId, amount: f.trade.amount })))
    expect(canary.size).toBeGreaterThanOrEqual(3)
    for (const [id, shadowAmount] of canary) expect(exchange.get(id)?.toString(), id).toBe(shadowAmount.mul('0.1').toString())
    // Live: the session's fills are the exchange's, full size.
    const live = byId(fills.filter((f) => f.mode === 'live' && f.order.strategyId === 'metronome').map((f) => ({ id: f.order.clientOrderId, amount: f.trade.amount })))
    for (const [id, amount] of live) expect(exchange.get(id)?.toString()).toBe(amount.toString())
    // Paper and shadow intents never reached the exchange; no client id appears twice.
    const orders = await exchangeOrders()
    const ids = orders.map((o) => o.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const f of fills.filter((x) => x.mode === 'paper' || x.mode === 'shadow')) expect(ids).not.toContain(f.order.clientOrderId)
    expect(orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')).toHaveLength(0)
    // Audited: each switch with its actor, the shadow order log, the canary's exchange fills.
    const audit = await readAudit(store)
    const changes = audit.filter((r) => r.type === 'mode.changed')
    expect(changes.map((r) => [r.payload['from'], r.payload['to'], r.actor])).toEqual([
      ['paper', 'shadow', 'operator:test'],
      ['shadow', 'canary', 'operator:test'],
      ['canary', 'live', 'operator:test'],
      ['live', 'shadow', 'operator:test'],
    ])
    expect(audit.filter((r) => r.type === 'shadow.order').length).toBe(result.status.shadowOrders)
    expect(audit.filter((r) => r.type === 'canary.fill').length).toBeGreaterThanOrEqual(3)
    expect(result.status.legs.live.fills).toBeGreaterThan(0)
  }, 60_000)

  it('a stale feed pauses risk-adding orders until data flows again; a dropped stream reconnects and is counted', async () => {
    const metrics = createMetrics({ processMetrics: false })
    const built = await buildSimSession(sim(), {
      mode: 'shadow',
      symbols: [SYMBOL],
      strategies: [],
      canaryPercentage: 10,
      metrics,
      riskSettings: { ...DEFAULT_RISK, monitors: { ...DEFAULT_RISK.monitors, dataStalenessSec: { warning: 0.4, critical: 0.8 } } },
    })
    const session = built.exchange!
    const running = built.start()
    try {
      expect(await waitFor(() => session.feed.events > 5, 10_000)).toBe(true)
      expect(session.trader.safety.tradingState('any')).toBe('ACTIVE')
      await control(sim(), 'POST', '/sim/ws-disconnect')
      expect(await waitFor(() => session.feed.reconnectCount > 0, 5_000)).toBe(true)
      expect((await metrics.wsReconnects.get()).values.some((v) => v.labels['venue'] === 'xsim' && v.value > 0)).toBe(true)
      const before = session.feed.events
      expect(await waitFor(() => session.feed.events > before, 5_000)).toBe(true)

      await control(sim(), 'POST', '/sim/faults', { staleForMs: 3_500 })
      expect(await waitFor(() => session.trader.safety.tradingState('any') === 'REDUCING', 5_000)).toBe(true)
      const denied = session.trader.orders.submit({ strategyId: 'probe', venue: 'xsim', symbol: SYMBOL, side: 'buy', type: 'market', amount: dec('0.001') })
      expect(denied.state).toBe('denied')
      expect(await waitFor(() => session.trader.safety.tradingState('any') === 'ACTIVE', 8_000)).toBe(true)
    } finally {
      await control(sim(), 'POST', '/sim/faults', {})
      built.stop()
    }
    await running
  }, 40_000)
})
