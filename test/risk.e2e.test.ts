/**
 * The safety layer end to end: a loss cascade trips the kill switch (AUTO) and nothing adds risk after it;
 * OFF never trips; deactivation is refused while the breach stands; a halted store stays halted across a
 * restart; the KILL_SWITCH file trips a running session within a second.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from '../src/engine/index.js'
import type { MarketSource } from '../src/engine/index.js'
import { dec, makeInstrument } from '../src/model/index.js'
import type { MarketEvent, Order } from '../src/model/index.js'
import type { Strategy, StrategyContext } from '../src/strategy/index.js'
import { createMetrics } from '../src/observability/index.js'
import { DEFAULT_RISK, Trader, attachMetrics } from '../src/system/index.js'
import type { RiskSettings } from '../src/system/index.js'
import { CLI, REPO, cliEnv, sofia } from './helpers.js'

const T0 = Date.UTC(2024, 0, 2, 10)
const BTC = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001', makerFee: '0.001', takerFee: '0.001' })

/** Buys 0.5 BTC every 10 ticks and keeps a resting bid far below: it only ever adds risk. */
class AlwaysBuy implements Strategy {
  readonly id = 'always-buy'
  private n = 0
  onTrade(_t: unknown, ctx: StrategyContext): void {
    if (++this.n % 10 !== 0) return
    ctx.submit({ venue: 'sim', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.5' })
    if (ctx.openOrders('sim', 'BTC/USDT').length === 0) {
      ctx.submit({ venue: 'sim', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.1', price: '1000' })
    }
  }
}

/** 100 ticks flat at 50,000, then a crash of 0.2% per tick. */
function crash(): MarketSource {
  const events: MarketEvent[] = []
  let price = 50_000
  for (let i = 0; i < 600; i++) {
    if (i >= 100) price = Math.round(price * 0.998 * 100) / 100
    events.push({ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: T0 + i * 1_000, price, amount: 1 })
  }
  return {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < events.length; i += 50) yield events.slice(i, i + 50)
    },
  }
}

async function runCrash(killSwitch: RiskSettings['killSwitch']) {
  const metrics = createMetrics({ processMetrics: false })
  const trader = await Trader.create({
    clock: new SimulatedClock(0),
    venues: [{ id: 'sim', instruments: [BTC], balances: { USDT: '1000000' } }],
    strategies: [new AlwaysBuy()],
    reportingCurrency: 'USDT',
    equitySampleMs: 60_000,
    riskSettings: { ...DEFAULT_RISK, killSwitch, limits: { maxDailyLoss: dec('2000') }, monitors: {} },
  })
  attachMetrics(trader, metrics)
  const orders: Order[] = []
  let tripAt: number | undefined
  let openAtTrip = -1
  let eventsAfterTrip = 0
  let openAfterNextEvent = -1
  let lossBeforeTrip = dec(0)
  trader.engine.bus.on('order', ({ order, event }) => {
    if (event.type === 'submitted') orders.push(order)
  })
  trader.engine.bus.on('market', (e) => {
    if (tripAt === undefined && !trader.safety.killSwitch.active) lossBeforeTrip = trader.safety.dailyPnl().neg()
    if (tripAt === undefined && trader.safety.killSwitch.active) {
      tripAt = e.timestamp
      openAtTrip = trader.orders.openOrders().filter((o) => o.state !== 'pending_cancel').length
    } else if (tripAt !== undefined && eventsAfterTrip++ === 0) {
      openAfterNextEvent = trader.orders.openOrders().length
    }
  })
  await trader.run(crash())
  return { trader, orders, tripAt, openAtTrip, openAfterNextEvent, lossBeforeTrip, metrics }
}

describe('kill switch in AUTO', () => {
  it('trips on a daily-loss breach, cancels every open order within one event, and nothing adds risk afterwards', async () => {
    const { trader, orders, tripAt, openAtTrip, openAfterNextEvent, lossBeforeTrip } = await runCrash('AUTO')
    expect(tripAt).toBeDefined()
    const state = trader.safety.killSwitch.state()
    expect(state).toMatchObject({ active: true, trigger: 'daily_loss', actor: 'system' })
    expect(state.reason).toMatch(/daily loss \d+\.\d+ ≥ limit 2000/)
    // In the tripping event every working order got its cancel; by the next event none is open.
    expect(openAtTrip).toBe(0)
    expect(openAfterNextEvent).toBe(0)
    // The ledger and order log show no order sent after the trip: every later intent was denied.
    expect(orders.length).toBeGreaterThan(5)
    expect(orders.filter((o) => o.timestamp > tripAt!)).toEqual([])
    // HALTED, not REDUCING: every later intent is denied by the trading-state check itself.
    expect(trader.risk.stats().byCode['TRADING_HALTED'] ?? 0).toBeGreaterThan(20)
    expect(trader.orders.counters.denied).toBeGreaterThan(20)
    // It acted on the first event whose loss reached the limit: the event before was still under it.
    const loss = dec(state.reason!.match(/daily loss (\d+\.\d+)/)![1]!)
    expect(loss.gte(2000)).toBe(true)
    expect(lossBeforeTrip.lt(2000)).toBe(true)
    expect(lossBeforeTrip.gt(1000)).toBe(true)
  })

  it('refuses deactivation while the breach stands, naming it, and refuses non-operators', async () => {
    const { trader } = await runCrash('AUTO')
    const byOperator = trader.safety.deactivate('looks fine', 'operator:bob')
    expect(byOperator.ok).toBe(false)
    expect(byOperator.blockers.join('; ')).toMatch(/breach still standing: .*daily loss/)
    const bySystem = trader.safety.deactivate('x', 'system')
    expect(bySystem.blockers.join('; ')).toMatch(/only an operator/)
    expect(trader.safety.killSwitch.active).toBe(true)
  })
})

describe('kill switch OFF', () => {
  it('never trips, even through the same loss (the pre-trade daily-loss check still blocks risk)', async () => {
    const { trader, tripAt, metrics } = await runCrash('OFF')
    expect(tripAt).toBeUndefined()
    // Every verdict is counted in trading_orders_total, denials as status="rejected" with their code.
    const counter = (await metrics.registry.getSingleMetric('trading_orders_total')!.get()).values
    const denied = counter.find((v) => v.labels['status'] === 'rejected' && v.labels['reason'] === 'DAILY_LOSS_LIMIT')
    expect(denied?.value).toBe(trader.risk.stats().byCode['DAILY_LOSS_LIMIT'])
    expect(counter.find((v) => v.labels['status'] === 'submitted')?.value).toBe(trader.orders.counters.submitted)
    expect(trader.safety.killSwitch.active).toBe(false)
    expect(trader.safety.killSwitch.history()).toEqual([])
    expect(trader.risk.stats().byCode['DAILY_LOSS_LIMIT']).toBeGreaterThan(0)
  })
})

describe('across processes', () => {
  it('stays halted after a restart until an operator deactivates it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sofia-halt-'))
    const first = sofia(['paper', '--data-dir', dataDir, '--duration', '1', '--step-ms', '10', '--json'])
    expect(first.code).toBe(0)
    const before = JSON.parse(first.stdout) as { positions: { venue: string; symbol: string; amount: string }[] }
    const act = sofia(['kill-switch', 'activate', '--reason', 'maintenance', '--actor', 'carol', '--data-dir', dataDir])
    expect(act.stderr).toBe('')
    expect(act.code).toBe(0)
    expect(act.stdout).toMatch(/kill switch ACTIVE .*manual by operator:carol: maintenance/)
    // A restarted session is halted from its first event: every risk-adding intent is denied.
    const run = sofia(['paper', '--data-dir', dataDir, '--duration', '2', '--step-ms', '10', '--json'])
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as { orders: { submitted: number; denied: number }; positions: { venue: string; symbol: string; amount: string }[] }
    expect(report.orders.denied).toBeGreaterThan(0)
    // Halted means no order of any kind leaves Sofia (reducing ones included), so no position changed.
    expect(report.orders.submitted).toBe(0)
    const held = (list: typeof before.positions, venue: string, symbol: string) =>
      dec(list.find((p) => p.venue === venue && p.symbol === symbol)?.amount ?? '0').abs()
    for (const p of report.positions) expect(held(report.positions, p.venue, p.symbol).lte(held(before.positions, p.venue, p.symbol))).toBe(true)
    const status = JSON.parse(sofia(['kill-switch', 'status', '--json', '--data-dir', dataDir]).stdout) as { killSwitch: { active: boolean } }
    expect(status.killSwitch.active).toBe(true)
    const off = sofia(['kill-switch', 'deactivate', '--reason', 'done', '--actor', 'carol', '--data-dir', dataDir])
    expect(off.code).toBe(0)
    const history = sofia(['kill-switch', 'history', '--data-dir', dataDir]).stdout.trim().split('\n')
    expect(history).toHaveLength(2)
    expect(history[0]).toMatch(/activated\s+manual\s+operator:carol\s+maintenance/)
    expect(history[1]).toMatch(/deactivated\s+manual\s+operator:carol\s+done/)
  })

  it('trips within a second of a KILL_SWITCH file appearing in the working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sofia-killfile-'))
    const dataDir = join(cwd, 'var')
    const child = spawn(process.execPath, [CLI, 'paper', '--data-dir', dataDir, '--step-ms', '20', '--duration', '8'], { cwd, env: cliEnv() })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    const created = Date.now()
    writeFileSync(join(cwd, 'KILL_SWITCH'), 'halt\n')
    let trippedAfter: number | undefined
    while (Date.now() - created < 5_000) {
      const s = sofia(['kill-switch', 'status', '--json', '--data-dir', dataDir], { cwd: REPO })
      const st = JSON.parse(s.stdout) as { killSwitch: { active: boolean; trigger: string; since: number } }
      if (st.killSwitch.active) {
        expect(st.killSwitch.trigger).toBe('file')
        // When the session tripped, by its own record (a status poll costs a process start, which a loaded
        // machine can stretch past a second on its own).
        trippedAfter = st.killSwitch.since - created
        break
      }
    }
    await new Promise<void>((resolve) => child.on('exit', () => resolve()))
    expect(out).toMatch(/kill switch activated by operator:file \(file\)/)
    expect(trippedAfter).toBeDefined()
    expect(trippedAfter!).toBeGreaterThanOrEqual(0)
    expect(trippedAfter!).toBeLessThan(1_000)
  }, 20_000)
})
