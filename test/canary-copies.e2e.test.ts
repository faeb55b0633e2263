/**
 * End-to-end: the canary's copies on the exchange under faults. In canary mode the session's orders are the
 * simulator's and a share of each goes to the exchange as a copy the order manager does not hold. With
 * dropped order responses and failing cancels (503, 429) injected at `sofia exchange-sim`, a kill switch and
 * a session stop must leave none of them working, and the kill switch's cancel report must say so only
 * once the exchange agrees. Checked against the exchange's own records (`/sim/orders`), not Sofia's.
 */
import { describe, expect, it } from 'vitest'
import { dec } from '../src/model/index.js'
import { MemoryStore } from '../src/store/index.js'
import type { Store } from '../src/store/index.js'
import type { Strategy } from '../src/strategy/index.js'
import type { ExchangeSession } from '../src/system/index.js'
import { buildSimSession, readAudit, timerStrategy } from './session-helpers.js'
import { control, useSim, waitFor } from './sim.js'

const SYMBOL = 'BTC/USDT'
const sim = useSim(['--tick-ms', '50', '--seed', '9', '--symbols', SYMBOL, '--api-key', 'CK', '--api-secret', 'CS', '--balance', 'USDT=100000', '--balance', 'BTC=10'])

/** Rests `count` limit buys 5–8% under the market, one every `everyMs`: they stay working on both legs. */
function ladder(count: number, everyMs: number): Strategy {
  let n = 0
  return timerStrategy('ladder', 'rung', everyMs, (ctx) => {
    const last = ctx.lastPrice('xsim', SYMBOL)
    if (last === undefined || n >= count) return
    const price = dec(Math.floor(last * (0.95 - 0.01 * (n++ % 4))))
    ctx.submit({ venue: 'xsim', symbol: SYMBOL, side: 'buy', type: 'limit', amount: '0.002', price })
  })
}

type SimOrder = { clientOrderId: string; status: string; origQty: string }
const working = async (): Promise<SimOrder[]> => (await control<SimOrder[]>(sim(), 'GET', '/sim/orders?apiKey=CK')).filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')
const faults = (f: object): Promise<unknown> => control(sim(), 'POST', '/sim/faults', f)

/** The payloads of the audit records of `type`, oldest first. */
async function auditOf(store: Store, type: string): Promise<Record<string, unknown>[]> {
  return (await readAudit(store)).filter((r) => r.type === type).map((r) => r.payload)
}

async function canarySession(store: Store, count: number): Promise<{ session: () => ExchangeSession | undefined; stop: { abort(): void }; running: Promise<unknown>; lines: string[] }> {
  const lines: string[] = []
  const built = await buildSimSession(sim(), {
    mode: 'canary',
    keys: { apiKey: 'CK', secret: 'CS' },
    symbols: [SYMBOL],
    strategies: [ladder(count, 150)],
    canaryPercentage: 50,
    store,
    onAlert: (line) => lines.push(line),
  })
  return { session: () => built.exchange, stop: { abort: () => built.stop() }, running: built.start(), lines }
}

describe('canary copies on the local exchange under faults', () => {
  it('a kill switch cancels every copy through dropped answers, 503s and 429s, and reports them settled only when the exchange has none working', async () => {
    const store = new MemoryStore()
    // Two of the first copies' answers are lost (the copy is placed; the session must look it up, never resend).
    await faults({ dropResponse: { next: 2, endpoints: ['POST /api/v3/order'] } })
    const { session, stop, running, lines } = await canarySession(store, 8)
    try {
      expect(await waitFor(async () => (await working()).length >= 8, 20_000, 100), lines.join('\n')).toBe(true)
      const before = await working()
      expect(before.map((o) => o.origQty)).toEqual(Array(8).fill('0.00100000'))
      // Every cancel fails at first: three 503s, then two 429s.
      await faults({ serverError: { next: 3, status: 503, endpoints: ['DELETE /api/v3/order'] }, rateLimit: { next: 2, retryAfterS: 1, endpoints: ['DELETE /api/v3/order'] } })
      const s = session()!
      expect(s.trader.safety.activate('manual', 'canary copies test', 'operator:test')).toBe(true)
      // The first report that says nothing is pending is true at the exchange.
      let settledRound: Record<string, unknown> | undefined
      expect(
        await waitFor(async () => {
          settledRound = (await auditOf(store, 'kill_switch.cancels')).find((r) => (r['pending'] as string[]).length === 0)
          return settledRound !== undefined
        }, 30_000, 50),
        lines.join('\n'),
      ).toBe(true)
      expect(await working()).toEqual([])
      // The report counted the copies (eight) besides the simulator's orders (eight), and saw the failures.
      expect(settledRound!['requested']).toBe(16)
      const rounds = await auditOf(store, 'kill_switch.cancels')
      expect(rounds.some((r) => Object.keys(r['errors'] as object).length > 0), JSON.stringify(rounds)).toBe(true)
    } finally {
      await faults({})
      stop.abort()
      await running
    }
  }, 60_000)

  it('a stop in canary cancels every copy on the exchange, through 503s on the cancels', async () => {
    const store = new MemoryStore()
    const { stop, running, lines } = await canarySession(store, 6)
    try {
      expect(await waitFor(async () => (await working()).length >= 6, 20_000, 100), lines.join('\n')).toBe(true)
      await faults({ serverError: { next: 4, status: 503, endpoints: ['DELETE /api/v3/order'] } })
    } finally {
      stop.abort()
      await running
      await faults({})
    }
    expect(await working(), lines.join('\n')).toEqual([])
    expect(lines.filter((l) => /canary order\(s\) whose cancel/.test(l))).toEqual([])
  }, 60_000)
})
