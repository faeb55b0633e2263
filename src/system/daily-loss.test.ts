/**
 * @module system/daily-loss.test
 * The daily-loss limit watches every price, also for a position the session did not open itself: one restored
 * from the store after a restart is valued from the first price on, and so is the realized P&L of the day so far.
 * On a later day, a position opened days ago enters today's baseline at its first price: today's P&L is today's
 * move, not its gain or loss since it was opened.
 */
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from '../engine/index.js'
import type { MarketEvent } from '../model/index.js'
import { dec, makeInstrument } from '../model/index.js'
import { DEFAULT_RISK } from './risk-setup.js'
import { MemoryStore } from '../store/index.js'
import { Trader } from './trader.js'

const SYMBOL = 'BTC/USDT'
const DAY = Date.UTC(2026, 11, 7)

function trader(store: MemoryStore, clock: SimulatedClock, maxDailyLoss: string): Promise<Trader> {
  return Trader.create({
    clock,
    venues: [{ id: 'sim', instruments: [makeInstrument({ symbol: SYMBOL, tickSize: '0.01', stepSize: '0.001' })], balances: { USDT: '100000' } }],
    strategies: [],
    reportingCurrency: 'USDT',
    equitySampleMs: 60_000,
    store,
    riskSettings: { ...DEFAULT_RISK, limits: { maxDailyLoss: dec(maxDailyLoss) } },
  })
}

const trade = (t: number, price: number): MarketEvent => ({ kind: 'trade', venue: 'sim', symbol: SYMBOL, timestamp: t, price, amount: 5 })

async function* source(batches: readonly (readonly MarketEvent[] | (() => void))[]): AsyncIterable<readonly MarketEvent[]> {
  for (const b of batches) {
    if (typeof b === 'function') b()
    else yield b
  }
}

const buy = (t: Trader, amount: string) => (): void =>
  void t.orders.submit({ strategyId: 's', venue: 'sim', symbol: SYMBOL, side: 'buy', type: 'market', amount: dec(amount) })
const sell = (t: Trader, amount: string) => (): void =>
  void t.orders.submit({ strategyId: 's', venue: 'sim', symbol: SYMBOL, side: 'sell', type: 'market', amount: dec(amount) })

/** A first run of the day at `hour`: `steps` of prices (one a second) and orders, then a stop; its store is kept. */
async function firstRun(store: MemoryStore, steps: (t: Trader) => readonly (number | (() => void))[]): Promise<Trader> {
  const start = DAY + 3_600_000
  const first = await trader(store, new SimulatedClock(start), '1000')
  let t = start
  await first.run(source(steps(first).map((s) => (typeof s === 'number' ? [trade((t += 1_000), s)] : s))))
  expect(first.safety.killSwitch.state().active).toBe(false)
  await first.persistence?.flush()
  return first
}

/** A restart (by default the same day, two hours in): these prices, one a second, and no order of its own. */
async function restart(store: MemoryStore, prices: readonly number[], start = DAY + 7_200_000): Promise<Trader> {
  const second = await trader(store, new SimulatedClock(start), '1000')
  await second.run(source(prices.map((p, i) => [trade(start + i * 1_000, p)])))
  return second
}

describe('the daily-loss limit after a restart the same day', () => {
  it('values the restored position from the first price: a fall past the limit trips the kill switch without a fill', async () => {
    const store = new MemoryStore()
    await firstRun(store, (t) => [50_000, buy(t, '1'), 50_000, 50_000])
    const second = await restart(store, [50_000, 49_500, 48_500])
    expect(second.ledger.position('sim', SYMBOL).amount.toString()).toBe('1')
    expect(second.safety.dailyPnl().lt(-1000)).toBe(true)
    expect(second.safety.killSwitch.state()).toMatchObject({ active: true, trigger: 'daily_loss' })
  })

  it("counts the day's realized loss so far: a smaller fall of the restored position then breaks the limit", async () => {
    const store = new MemoryStore()
    // Bought at 50,000 and sold at 49,300 (a realized loss of 700 and fees), then bought 1 again at 49,300.
    await firstRun(store, (t) => [50_000, buy(t, '1'), 50_000, 49_300, sell(t, '1'), 49_300, 49_300, buy(t, '1'), 49_300, 49_300])
    const unmoved = await restart(store, [49_300, 49_300])
    expect(unmoved.safety.killSwitch.state().active).toBe(false)
    const second = await restart(store, [49_300, 49_000, 48_950])
    expect(second.ledger.position('sim', SYMBOL).amount.toString()).toBe('1')
    expect(second.safety.dailyPnl().lt(-1000)).toBe(true)
    expect(second.safety.killSwitch.state()).toMatchObject({ active: true, trigger: 'daily_loss' })
  })
})

describe('the daily-loss limit after a restart on a later day', () => {
  const NEXT = DAY + 86_400_000 + 7_200_000

  it("judges today's fall of a position opened days ago, not its gain since it was opened", async () => {
    const store = new MemoryStore()
    // Bought at 50,000 yesterday; 52,000 at yesterday's last price.
    await firstRun(store, (t) => [50_000, buy(t, '1'), 52_000, 52_000])
    // Today: 52,000, then a fall of 1,200.
    const second = await restart(store, [52_000, 51_500, 50_800], NEXT)
    expect(second.safety.dailyPnl().toString()).toBe('-1200')
    expect(second.safety.killSwitch.state()).toMatchObject({ active: true, trigger: 'daily_loss' })
  })

  it("does not trip on a loss made before today: today's P&L starts at the position's first price", async () => {
    const store = new MemoryStore()
    await firstRun(store, (t) => [50_000, buy(t, '1'), 49_100, 49_100])
    const second = await restart(store, [49_000, 49_000, 48_900], NEXT)
    expect(second.safety.dailyPnl().toString()).toBe('-100')
    expect(second.safety.killSwitch.state().active).toBe(false)
  })

  it('keeps a position not yet valued across a second restart the same day', async () => {
    const store = new MemoryStore()
    await firstRun(store, (t) => [50_000, buy(t, '1'), 52_000, 52_000])
    // Restarted today on a silent market (no price of BTC/USDT), stopped, restarted again: then the fall.
    const silent = await trader(store, new SimulatedClock(NEXT), '1000')
    await silent.run(source([]))
    await silent.persistence?.flush()
    const second = await restart(store, [52_000, 51_500, 50_800], NEXT + 60_000)
    expect(second.safety.dailyPnl().toString()).toBe('-1200')
    expect(second.safety.killSwitch.state()).toMatchObject({ active: true, trigger: 'daily_loss' })
  })
})

describe("the daily-loss baseline when the ledger becomes the exchange account's (system/account-periods)", () => {
  it('stands when the simulated period began today (the baseline was the exchange account’s), and is taken again when it began before today', async () => {
    for (const [simulatedFrom, kept] of [[DAY + 1_800_000, true], [DAY - 3_600_000, false]] as const) {
      const store = new MemoryStore()
      const t = await firstRun(store, (x) => [50_000, buy(x, '1'), 50_000, 49_500])
      const before = t.safety.dailyPnl()
      expect(before.lt(-400)).toBe(true)
      t.safety.accountRebased(simulatedFrom)
      expect(t.safety.dailyPnl().toString(), `simulated from ${simulatedFrom}`).toBe(kept ? before.toString() : '0')
    }
  })
})
