/**
 * @module system/position-override-restart.test
 * At start, the override in config/position_override.json and the last one an operator or a rollback set (kept
 * in the store) are combined, the tighter winning in each scope: a restart with the file present never lifts a
 * rollback's reduction.
 */
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from '../engine/index.js'
import { makeInstrument } from '../model/index.js'
import { MemoryStore } from '../store/index.js'
import { POSITION_OVERRIDE_KEY } from './safety-types.js'
import { Trader } from './trader.js'

async function restarted(stored: unknown, file: { account?: string; strategies?: Record<string, string> } | undefined): Promise<Trader> {
  const store = new MemoryStore()
  await store.write({ state: [{ key: POSITION_OVERRIDE_KEY, value: stored }] })
  return Trader.create({
    clock: new SimulatedClock(Date.UTC(2026, 11, 7)),
    venues: [{ id: 'sim', instruments: [makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001' })], balances: { USDT: '1000' } }],
    strategies: [],
    reportingCurrency: 'USDT',
    equitySampleMs: 60_000,
    store,
    ...(file !== undefined ? { positionOverride: file } : {}),
  })
}

describe('the position override at a restart', () => {
  it("keeps a rollback's 0.1 when the file holds only the runbook's max_position_pct", async () => {
    const t = await restarted({ account: '0.1' }, {})
    expect(t.risk.positionOverride.get('s').toString()).toBe('0.1')
  })

  it('takes the tighter of the file and the store in each scope', async () => {
    const t = await restarted({ account: '0.1', strategies: { a: '0.5', b: '0.2' } }, { account: '0.5', strategies: { a: '0.05', c: '0.08' } })
    const o = t.risk.positionOverride
    expect(['a', 'b', 'c', 'd'].map((id) => `${id} ${o.get(id).toString()}`)).toEqual(['a 0.05', 'b 0.1', 'c 0.08', 'd 0.1'])
  })

  it('takes the stored override without a file, and the file without a stored one', async () => {
    expect((await restarted({ account: '0.3' }, undefined)).risk.positionOverride.get('s').toString()).toBe('0.3')
    expect((await restarted(null, { account: '0.4' })).risk.positionOverride.get('s').toString()).toBe('0.4')
  })

  it("a live edit of the file after a rollback tightens but does not lift the rollback's reduction; the operator's command does", async () => {
    const t = await restarted(null, { account: '0.5' })
    const o = t.risk.positionOverride
    const set = (multiplier: string): void => {
      const r = t.safety.execute({ command: 'position_override.set', args: { multiplier, reason: 'test' }, actor: 'operator:test' })
      expect(r.ok, r.error).toBe(true)
    }
    set('0.1')
    // What the file watcher does on a change (desk/position-override).
    o.replace({ account: '1' })
    expect(o.get('s').toString()).toBe('0.1')
    o.replace({ account: '0.05' })
    expect(o.get('s').toString()).toBe('0.05')
    set('1')
    o.replace({ account: '0.8' })
    expect(o.get('s').toString()).toBe('0.8')
  })
})
