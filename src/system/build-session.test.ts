/**
 * @module system/build-session.test
 * One façade for every kind of session: a backtest and a paper session are built by `buildSession`, started,
 * watched (`status`, `subscribe`), commanded (`execute`) and stopped the same way; a backtest built by hand
 * reports what `runBacktest` reports.
 */
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../store/index.js'
import { buildSession } from './build-session.js'
import { resultOf, runBacktest } from './backtest.js'

const MAKER = [{ name: 'market-maker', params: { venue: 'alpha', symbol: 'BTC/USDT', amount: '0.01', spreadBps: '4' } }]

describe('buildSession', () => {
  it('a backtest: the façade runs it to the end, counts what it saw, and reports what runBacktest reports', async () => {
    const config = { data: ['synthetic'], syntheticEvents: 3_000, seed: 11, strategies: MAKER }
    const session = await buildSession({ kind: 'backtest', ...config })
    expect(session.kind).toBe('backtest')
    expect(session.mode()).toBe('backtest')
    let fills = 0
    const off = session.subscribe('fill', () => fills++)
    expect(session.running()).toBe(false)
    const { stats } = await session.start()
    off()
    expect(stats.interrupted).toBe(false)
    expect(stats.events).toBe(3_000)
    const status = session.status()
    expect(status.events).toBe(3_000)
    expect(status.fills).toBe(fills)
    expect(fills).toBeGreaterThan(0)
    await expect(session.start()).rejects.toThrow('already been started')
    const mine = resultOf(session, stats, { seed: 11, monitors: [] })
    const theirs = await runBacktest(config)
    expect(mine.report.fills).toBe(fills)
    expect(mine.report).toEqual(theirs.report)
    expect(mine.trader.pnl().net.toString()).toBe(theirs.trader.pnl().net.toString())
  })

  it('a backtest stops early on stop()', async () => {
    const session = await buildSession({ kind: 'backtest', data: ['synthetic'], syntheticEvents: 200_000, seed: 3, strategies: MAKER })
    let seen = 0
    session.subscribe('market', () => {
      if (++seen === 500) session.stop()
    })
    const { stats } = await session.start()
    expect(stats.interrupted).toBe(true)
    expect(stats.events).toBeLessThan(200_000)
  })

  it('a paper session: trades on the wall clock, answers operator commands, and ends on stop()', async () => {
    const session = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 5, seed: 5 })
    expect(session.kind).toBe('paper')
    const seen: string[] = []
    session.subscribe('market', (e) => seen.push(e.symbol))
    const running = session.start()
    expect(session.running()).toBe(true)
    await new Promise((r) => setTimeout(r, 300))
    const on = await session.execute({ command: 'kill_switch.activate', args: { reason: 'drill' }, actor: 'operator:test' })
    expect(on).toEqual({ ok: true, result: { changed: true, state: expect.objectContaining({ active: true }) } })
    const refused = await session.execute({ command: 'kill_switch.activate', args: {}, actor: 'operator:test' })
    expect(refused.ok).toBe(false)
    expect(session.status().events).toBeGreaterThan(0)
    session.stop()
    const { stats } = await running
    expect(session.running()).toBe(false)
    expect(seen.length).toBeGreaterThan(0)
    expect(session.status().events).toBe(stats.events)
    await session.close()
  })

  it('a paper session closed before it starts lets go at once', async () => {
    const session = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 5 })
    await session.close()
    expect(session.running()).toBe(false)
  })
})
