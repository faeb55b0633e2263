/**
 * End-to-end: one session on `sofia exchange-sim` (the real ccxt adapter and feed, a real SQLite store) goes
 * shadow → canary → live, then `sofia reconcile` (the built CLI, a child process) checks the store against
 * the exchange's own record. The simulator's fills of the shadow and canary modes never reached the
 * exchange and are left out; the canary's exchange fills, recorded only as `canary.fill` audit records, are
 * added: zero discrepancies through the exchange's API (`--live`). A copy of the exchange's record with one
 * canary trade's amount changed, or one canary trade removed, is found exactly.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Trade } from '../src/model/index.js'
import { openStore } from '../src/store/index.js'
import type { Strategy, StrategyContext } from '../src/strategy/index.js'
import { buildSession } from '../src/system/index.js'
import { sofia } from './helpers.js'
import { control, sleep, startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
const KEY = 'RLK'
const SECRET = 'RLS'
let sim: Sim | undefined

beforeAll(async () => {
  sim = await startSim(['--tick-ms', '50', '--seed', '11', '--symbols', SYMBOL, '--trade-probability', '1', '--api-key', KEY, '--api-secret', SECRET, '--balance', 'USDT=100000', '--balance', 'BTC=10'])
})
afterAll(async () => {
  await stopSim(sim)
})

/** One market order of `amount` every `everyMs`, alternating buy and sell, until paused. */
class Metronome implements Strategy {
  readonly id = 'metronome'
  paused = false
  private n = 0
  constructor(
    private readonly amount: string,
    private readonly everyMs: number,
  ) {}
  onStart(ctx: StrategyContext): void {
    ctx.setTimer('tick', this.everyMs)
  }
  onTimer(_name: string, ctx: StrategyContext): void {
    if (this.paused) return
    ctx.submit({ venue: 'xsim', symbol: SYMBOL, side: this.n++ % 2 === 0 ? 'buy' : 'sell', type: 'market', amount: this.amount })
  }
}

/** `/sim/trades`: the exchange's record of the account, CCXT unified trades. */
interface SimTrade {
  id: string
  clientOrderId: string
  amount: number
  cost: number
  info: Record<string, unknown>
}

interface Report {
  status: string
  inputs: {
    internal: { source: string; records: number; legs?: { exchangeLegsOnly: boolean; kept: number; excludedSimulated: number; canaryFills: number; shadowOrders: number } }
    exchange: { source: string; records: number }
  }
  counts: { matched: number; pairs: number; pairsById: number; discrepancies: number; byType: Record<string, number> }
  discrepancies: { type: string; id: string | null; internalValue: string | null; exchangeValue: string | null; internal: { id: string }[]; exchange: { id: string }[] }[]
  positions: { key: string; status: string; explained: boolean }[]
  halt: unknown
}

const env = { EXCHANGE: 'binance', API_KEY: KEY, API_SECRET: SECRET }

describe('sofia reconcile after a shadow → canary → live session', () => {
  it("compares only the account's exchange legs: zero discrepancies, and a changed or missing canary trade is found", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sofia-legs-'))
    const store = await openStore({ dataDir, create: true })
    const strategy = new Metronome('0.01', 250)
    let mode = 'shadow'
    const fills: Array<{ mode: string; trade: Trade }> = []
    const exchangeTrades = () => control<SimTrade[]>(sim!, 'GET', `/sim/trades?apiKey=${KEY}`)
    const t0 = Date.now()
    const built = await buildSession({
      kind: 'exchange',
      mode: 'shadow',
      exchange: { exchangeId: 'binance', apiKey: KEY, secret: SECRET, url: sim!.url },
      venueId: 'xsim',
      symbols: [SYMBOL],
      strategies: [strategy],
      canaryPercentage: 10,
      store,
    })
    const session = built.exchange!
    built.subscribe('fill', ({ trade }) => fills.push({ mode, trade }))
    const running = built.start().then((o) => o.exchange!)
    const switchTo = async (to: string) => {
      const r = await session.command('mode.set', { mode: to }, 'operator:test')
      expect(r.ok, r.error).toBe(true)
      mode = to
    }
    const count = (m: string) => fills.filter((f) => f.mode === m).length
    try {
      expect(await waitFor(() => count('shadow') >= 3, 15_000)).toBe(true)
      expect(await exchangeTrades()).toHaveLength(0) // shadow sends nothing
      await switchTo('canary')
      expect(await waitFor(() => count('canary') >= 4 && session.router.status().legs.live.fills >= 4, 15_000)).toBe(true)
      await switchTo('live')
      expect(await waitFor(() => count('live') >= 3, 15_000)).toBe(true)
      // Quiet before stopping: every order sent is final on both sides and recorded.
      strategy.paused = true
      expect(await waitFor(async () => session.trader.orders.openOrders().length === 0 && (await exchangeTrades()).length === session.router.status().legs.live.fills, 10_000)).toBe(true)
      await sleep(300)
    } finally {
      built.stop()
    }
    const result = await running
    // What the session saw, and the audit records the selection reads.
    const canaryFillIds: string[] = []
    let shadowOrders = 0
    for await (const batch of store.iterateAudit()) {
      for (const r of batch) {
        if (r.type === 'canary.fill') canaryFillIds.push((r.payload as { id: string }).id)
        if (r.type === 'shadow.order') shadowOrders++
      }
    }
    const storedFills = await store.countFills({ venue: 'xsim' })
    await store.close()
    const simulated = count('shadow') + count('canary')
    const live = count('live')
    expect(storedFills).toBe(simulated + live)
    expect(shadowOrders).toBe(result.status.shadowOrders)
    const onExchange = await exchangeTrades()
    expect(canaryFillIds.length).toBeGreaterThanOrEqual(4)
    expect(onExchange.length).toBe(canaryFillIds.length + live)
    const sessionMs = Date.now() - t0

    // Through the exchange's API: zero discrepancies.
    const t1 = Date.now()
    const rec = sofia(['reconcile', '--live', '--url', sim!.url, '--data-dir', dataDir, '--no-halt', '--json'], { env })
    const reconcileMs = Date.now() - t1
    expect(rec.code, rec.stdout + rec.stderr).toBe(0)
    const report = JSON.parse(rec.stdout) as Report
    expect(report.status).toBe('ok')
    expect(report.counts.discrepancies).toBe(0)
    expect(report.inputs.exchange.records).toBe(onExchange.length)
    expect(report.inputs.internal.records).toBe(onExchange.length)

    // P&L by leg: live is what the exchange did (its own trade list), simulated the simulator's primary-leg fills.
    const pnl = sofia(['pnl', '--data-dir', dataDir, '--json'])
    expect(pnl.code, pnl.stderr).toBe(0)
    const legs = JSON.parse(pnl.stdout) as Record<'live' | 'simulated', { fills: number; net: string; netIncludesUnrealized: boolean; totals: { volume: string } }>
    expect(legs.live.fills).toBe(onExchange.length)
    expect(legs.simulated.fills).toBe(simulated)
    expect(legs.live.netIncludesUnrealized).toBe(false)
    expect(Number(legs.live.totals.volume)).toBeCloseTo(onExchange.reduce((sum, t) => sum + t.cost, 0), 6)
    expect(report.inputs.internal.legs).toEqual({ exchangeLegsOnly: true, kept: live, excludedSimulated: simulated, canaryFills: canaryFillIds.length, shadowOrders })
    expect(report.counts.pairsById).toBe(onExchange.length)
    expect(report.counts.matched).toBe(onExchange.length)
    expect(report.positions.every((p) => p.status === 'ok')).toBe(true)
    // The text summary says what was selected.
    const text = sofia(['reconcile', '--live', '--url', sim!.url, '--data-dir', dataDir, '--no-halt'], { env })
    expect(text.code, text.stdout + text.stderr).toBe(0)
    expect(text.stdout).toContain('reconciliation OK')
    expect(text.stdout).toContain(`exchange legs only: ${live} recorded fills kept, ${simulated} left out as simulated (shadow/canary), ${canaryFillIds.length} canary exchange fills added`)

    // Every recorded fill as it is (--all-fills): the simulator's are not on the exchange, the canary's not recorded.
    const raw = JSON.parse(sofia(['reconcile', '--live', '--all-fills', '--url', sim!.url, '--data-dir', dataDir, '--no-halt', '--json'], { env }).stdout) as Report
    expect(raw.status).toBe('discrepancies')
    expect(raw.inputs.internal.legs).toBeUndefined()
    expect(raw.counts.byType).toMatchObject({ missing_exchange: simulated, missing_internal: canaryFillIds.length })

    // A copy of the exchange's record: as it is, it reconciles; with one canary trade's amount doubled, that
    // trade (and only it) is an amount mismatch; without one canary trade, that canary fill is missing there.
    const file = (name: string, trades: SimTrade[]): string => {
      const path = join(dataDir, name)
      writeFileSync(path, JSON.stringify(trades))
      return path
    }
    const viaFile = (path: string): Report & { code: number } => {
      const r = sofia(['reconcile', '--exchange-file', path, '--venue', 'xsim', '--data-dir', dataDir, '--no-halt', '--json'])
      return { ...(JSON.parse(r.stdout) as Report), code: r.code }
    }
    expect(viaFile(file('exchange.json', onExchange))).toMatchObject({ code: 0, status: 'ok' })
    const target = onExchange.find((t) => t.id === canaryFillIds[1])!
    expect(target).toBeDefined()
    const doubled = onExchange.map((t) => (t === target ? { ...t, amount: t.amount * 2, cost: t.cost * 2 } : t))
    const bad = viaFile(file('exchange-tampered.json', doubled))
    expect(bad.code).toBe(1)
    expect(bad.counts.discrepancies).toBe(1)
    expect(bad.discrepancies.map((d) => [d.type, d.id, d.internalValue, d.exchangeValue])).toEqual([['amount_mismatch', target.id, String(target.amount), String(target.amount * 2)]])
    expect(bad.positions.find((p) => p.key === SYMBOL)).toMatchObject({ status: 'mismatch', explained: true })
    const missing = viaFile(file('exchange-missing.json', onExchange.filter((t) => t !== target)))
    expect(missing.code).toBe(1)
    expect(missing.discrepancies.map((d) => [d.type, d.id, d.internal.map((i) => i.id)])).toEqual([['missing_exchange', target.id, [target.id]]])

    console.log(
      `reconcile-legs: session ${sessionMs} ms (${simulated} simulated fills in shadow/canary, ${canaryFillIds.length} canary exchange fills, ${live} live fills); sofia reconcile --live ${reconcileMs} ms`,
    )
  }, 120_000)
})
