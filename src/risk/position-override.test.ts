import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError, dec, makeInstrument } from '../model/index.js'
import { PositionOverride, applyPositionOverride, parsePositionOverride, watchPositionOverrideFile } from './position-override.js'
import type { PositionOverrideFile } from './position-override.js'
import { RiskEngine } from './risk-engine.js'
import { FakeRiskContext, TEST_BTC, testOrder } from './testing.js'

describe('applyPositionOverride', () => {
  const HALF = makeInstrument({ symbol: 'X/USDT', tickSize: '0.01', stepSize: '0.5' })
  it.each([
    ['1', '0.1', TEST_BTC, '0.1'],
    ['0.12345', '0.1', TEST_BTC, '0.01234'],
    ['0.00009', '0.1', TEST_BTC, '0'],
    ['0.5', '1', TEST_BTC, '0.5'],
    ['0.5', '0', TEST_BTC, '0'],
    ['7', '0.3', HALF, '2'],
    ['7', '0.5', HALF, '3.5'],
  ] as const)('%s × %s → %s… rounded down to the step', (amount, m, inst, expected) => {
    expect(applyPositionOverride(dec(amount), dec(m), inst).eq(dec(expected))).toBe(true)
  })
})

describe('PositionOverride', () => {
  it('defaults to 1, takes the tighter of account and strategy, and 1 clears a strategy', () => {
    const p = new PositionOverride()
    expect(p.get('s1').toString()).toBe('1')
    p.set({ strategyId: 's1' }, '0.5')
    expect(p.get('s1').toString()).toBe('0.5')
    expect(p.get('s2').toString()).toBe('1')
    p.set('account', '0.1')
    expect(p.get('s1').toString()).toBe('0.1')
    p.set('account', 1)
    expect(p.get('s1').toString()).toBe('0.5')
    p.set({ strategyId: 's1' }, 1)
    expect(p.snapshot()).toEqual({ account: '1', strategies: {} })
  })

  it.each(['-0.1', '1.01', 'NaN'])('refuses %s', (m) => {
    expect(() => new PositionOverride().set('account', m)).toThrow(InputError)
  })
})

describe('config/position_override.json', () => {
  const FILE = 'config/position_override.json'

  it("accepts the runbook's max_position_pct, multipliers, and strategies by the ids the session runs", () => {
    expect(parsePositionOverride('{"max_position_pct": 0.005}', FILE, ['mm'])).toEqual({ maxPositionPct: 0.005 })
    expect(parsePositionOverride('{"account": 0.5, "strategies": {"mm": "0.1"}}', FILE, ['mm'])).toEqual({ account: '0.5', strategies: { mm: '0.1' } })
  })

  it.each([
    ['{"strategies": {"sma": 0.5}}', `${FILE}: strategies.sma: unknown strategy id (this session runs mm)`],
    ['{"max_position_pct": 5}', `${FILE}: max_position_pct: expected a fraction of equity in (0, 1] (0.005 = 0.5%), got 5`],
    ['{"max_position_pct": "0.005"}', `${FILE}: max_position_pct: expected a fraction of equity in (0, 1] (0.005 = 0.5%), got "0.005"`],
    ['{"maxPositionPct": 0.1}', `${FILE}: maxPositionPct: unknown key (expected account, strategies, max_position_pct)`],
    ['{"account": 2}', `${FILE}: account: expected a number from 0 to 1, got 2`],
    ['{"account": ', `${FILE}: not valid JSON`],
  ])('refuses %s in one line naming the file and the key', (text, message) => {
    let error: unknown
    try {
      parsePositionOverride(text, FILE, ['mm'])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message.startsWith(message)).toBe(true)
    expect((error as Error).message).not.toContain('\n')
  })

  it('max_position_pct caps each position at that fraction of equity, MAX_POSITION_USD still applying when tighter', () => {
    const engine = new RiskEngine({})
    const ctx = new FakeRiskContext().setEquity(100_000).setLastPrice('sim', 'BTC/USDT', 50_000).setBalance('sim', 'USDT', 100_000).setBalance('sim', 'BTC', 1)
    // 0.01 BTC at 50,000 = 500 = 0.5% of 100,000: exactly at the cap passes; 0.011 does not.
    engine.positionOverride.setMaxPositionPct(0.005)
    expect(engine.check(testOrder({ amount: '0.01' }), ctx).approved).toBe(true)
    expect(engine.check(testOrder({ amount: '0.011' }), ctx)).toMatchObject({ approved: false, code: 'POSITION_EXCEEDS_MAX' })
    // Reducing a position above the cap always passes.
    ctx.setPosition('sim', 'BTC/USDT', '0.05')
    expect(engine.check(testOrder({ side: 'sell', amount: '0.01' }), ctx).approved).toBe(true)
    ctx.setPosition('sim', 'BTC/USDT', '0')
    // The tighter of the two wins.
    const tight = new RiskEngine({ maxPositionNotional: dec(100) })
    tight.positionOverride.setMaxPositionPct(0.005)
    expect(tight.check(testOrder({ amount: '0.01' }), ctx).approved).toBe(false)
    engine.positionOverride.setMaxPositionPct(undefined)
    expect(engine.check(testOrder({ amount: '0.011' }), ctx).approved).toBe(true)
  })

  it('is re-read after a change: a valid file replaces the override, a bad one is refused and the old one stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-override-'))
    const path = join(dir, 'position_override.json')
    const applied: PositionOverrideFile[] = []
    const refused: string[] = []
    const watch = watchPositionOverrideFile(path, { strategies: ['mm'], intervalMs: 20, apply: (f) => applied.push(f), refuse: (e) => refused.push(e) })
    const until = async (ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 250 && !ok(); i++) await new Promise((r) => setTimeout(r, 20))
    }
    try {
      writeFileSync(path, '{"max_position_pct": 0.005}')
      await until(() => applied.length === 1)
      expect(applied).toEqual([{ maxPositionPct: 0.005 }])
      writeFileSync(path, '{"strategies": {"other": 0.5}, "max_position_pct": 0.01}')
      await until(() => refused.length === 1)
      expect(refused).toEqual([`${path}: strategies.other: unknown strategy id (this session runs mm)`])
      expect(applied).toHaveLength(1)
      rmSync(path)
      await until(() => applied.length === 2)
      expect(applied[1]).toEqual({})
    } finally {
      watch.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('PositionOverride.pin', () => {
  it('a reload of the file tightens but never loosens a scope past what a command set; what the file alone set goes with it', () => {
    const o = new PositionOverride()
    o.replace({ account: '0.5', strategies: { mm: '0.8' } })
    // A rollback cuts the account to 0.1.
    o.set('account', '0.1')
    o.pinScope('account', '0.1')
    o.replace({ account: '1', strategies: { mm: '0.8' } })
    expect(o.snapshot()).toEqual({ account: '0.1', strategies: { mm: '0.8' } })
    o.replace({ account: '0.05', strategies: { mm: '0.02', other: '0.5' } })
    expect(o.snapshot()).toEqual({ account: '0.05', strategies: { mm: '0.02', other: '0.5' } })
    expect(o.get('mm').toString()).toBe('0.02')
    // The file's own values go when it drops them.
    o.replace({})
    expect(o.snapshot()).toEqual({ account: '0.1', strategies: {} })
    // A command lifts the account: from then on the file governs it up to 1.
    o.set('account', '1')
    o.pinScope('account', '1')
    o.replace({ account: '0.7' })
    expect(o.snapshot()).toEqual({ account: '0.7', strategies: {} })
  })

  it('at a start, every scope in force after the last command (the stored override) is pinned', () => {
    const o = new PositionOverride()
    o.pin({ account: '0.1', strategies: { mm: '0.5' } })
    o.replace({ account: '0.3' })
    expect(o.snapshot()).toEqual({ account: '0.1', strategies: { mm: '0.5' } })
  })
})
