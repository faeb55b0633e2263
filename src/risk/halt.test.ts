/**
 * The kill switch halts (NautilusTrader's HALTED): no order of any kind passes, reducing ones included;
 * an operator's flatten passes a halt only while it reduces, and only inside its own submit.
 */
import { describe, expect, it } from 'vitest'
import { dec } from '../model/index.js'
import { checkTradingState } from './checks/trading-state.js'
import type { OrderPurpose, TradingState } from './context.js'
import { KILL_SWITCH_TRIGGERS, KillSwitch, isAutomaticTrigger } from './kill-switch.js'
import { RiskEngine } from './risk-engine.js'
import { FakeRiskContext, testOrder } from './testing.js'
import type { TestOrderSpec } from './testing.js'
import { TradingStates } from './trading-state.js'
import type { RiskVerdict } from './verdict.js'

describe('TradingStates with the kill switch', () => {
  it('an active kill switch is HALTED whatever the account and strategy states', () => {
    for (const account of ['ACTIVE', 'REDUCING', 'HALTED'] as const) {
      const states = new TradingStates({ account, strategies: { mm: 'REDUCING' } })
      expect(states.effective('mm', true)).toBe('HALTED')
      expect(states.effective('other', true)).toBe('HALTED')
    }
    // REDUCING stays what an operator sets (live-toggle off).
    expect(new TradingStates({ account: 'REDUCING', strategies: {} }).effective('mm', false)).toBe('REDUCING')
  })
})

describe('checkTradingState', () => {
  // Position long 0.5 BTC on sim.
  const cases: readonly { name: string; state: TradingState; purpose: OrderPurpose; order: TestOrderSpec; code: string | null }[] = [
    { name: 'halted: a reducing sell is denied', state: 'HALTED', purpose: 'trade', order: { side: 'sell', amount: '0.1' }, code: 'TRADING_HALTED' },
    { name: 'halted: a reducing market sell is denied', state: 'HALTED', purpose: 'trade', order: { side: 'sell', type: 'market', amount: '0.5' }, code: 'TRADING_HALTED' },
    { name: 'halted: a buy is denied', state: 'HALTED', purpose: 'trade', order: { side: 'buy' }, code: 'TRADING_HALTED' },
    { name: 'halted: flatten selling the whole long passes', state: 'HALTED', purpose: 'flatten', order: { side: 'sell', type: 'market', amount: '0.5' }, code: null },
    { name: 'halted: flatten selling part of it passes', state: 'HALTED', purpose: 'flatten', order: { side: 'sell', amount: '0.2' }, code: null },
    { name: 'halted: flatten that would flip the position is denied', state: 'HALTED', purpose: 'flatten', order: { side: 'sell', amount: '0.50001' }, code: 'TRADING_HALTED' },
    { name: 'halted: flatten adding to the long is denied', state: 'HALTED', purpose: 'flatten', order: { side: 'buy', amount: '0.1' }, code: 'TRADING_HALTED' },
    { name: 'reducing: a reducing sell passes', state: 'REDUCING', purpose: 'trade', order: { side: 'sell', amount: '0.1' }, code: null },
    { name: 'reducing: a buy is reduce-only', state: 'REDUCING', purpose: 'trade', order: { side: 'buy', amount: '0.1' }, code: 'REDUCE_ONLY' },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const ctx = new FakeRiskContext().setLastPrice('sim', 'BTC/USDT', 50_000).setPosition('sim', 'BTC/USDT', '0.5').setState('s1', c.state)
      const verdict = checkTradingState(testOrder(c.order), ctx, {}, c.purpose)
      expect(verdict.approved ? null : verdict.code).toBe(c.code)
    })
  }

  it('flatten of a flat position is denied (nothing to reduce)', () => {
    const ctx = new FakeRiskContext().setLastPrice('sim', 'BTC/USDT', 50_000).setState('s1', 'HALTED')
    const verdict = checkTradingState(testOrder({ side: 'sell' }), ctx, {}, 'flatten')
    expect(verdict.approved).toBe(false)
  })
})

describe('RiskEngine.withPurpose', () => {
  function halted(): FakeRiskContext {
    return new FakeRiskContext()
      .setLastPrice('sim', 'BTC/USDT', 50_000)
      .setBalance('sim', 'BTC', '1')
      .setBalance('sim', 'USDT', '100000')
      .setPosition('sim', 'BTC/USDT', '0.5')
      .setState('s1', 'HALTED')
  }

  it('lets a reducing order through a halt only inside the scope', () => {
    const engine = new RiskEngine({ maxDailyLoss: dec(100) })
    const ctx = halted().setDailyPnl('-500')
    const sell = (): boolean => engine.check(testOrder({ side: 'sell', amount: '0.5' }), ctx).approved
    expect(sell()).toBe(false)
    expect(engine.withPurpose('flatten', sell)).toBe(true)
    // The scope ends with the call, also when it throws.
    expect(sell()).toBe(false)
    expect(() =>
      engine.withPurpose('flatten', () => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(sell()).toBe(false)
    expect(engine.stats().byCode['TRADING_HALTED']).toBe(3)
  })

  it("a flatten order passes the account's own resting buy (still being cancelled); a strategy's sell does not", () => {
    const engine = new RiskEngine({ preventSelfTrade: true })
    const ctx = halted().setState('s1', 'ACTIVE').setRestingOwn('sim', 'BTC/USDT', { buy: '49990' })
    const sell = (): RiskVerdict => engine.check(testOrder({ side: 'sell', type: 'market', amount: '0.5' }), ctx)
    expect(sell()).toMatchObject({ approved: false, code: 'SELF_TRADE' })
    expect(engine.withPurpose('flatten', sell)).toEqual({ approved: true })
  })

  it('a flatten order still meets the other limits', () => {
    const engine = new RiskEngine({ priceBandPct: 0.01 })
    const verdict = engine.withPurpose('flatten', () => engine.check(testOrder({ side: 'sell', amount: '0.5', price: '40000' }), halted()))
    expect(verdict.approved ? null : verdict.code).toBe('PRICE_OUTSIDE_BAND')
  })
})

describe('KillSwitch.deactivate: exact halt semantics', () => {
  it('a reconciliation halt lifts only with clearsReconciliation (sofia reconcile clear), naming it', () => {
    const ks = new KillSwitch('AUTO')
    ks.trip('reconciliation', '2 discrepancies', 'operator:ann', 1)
    const plain = ks.deactivate('fixed', 'operator:ann', 2, [])
    expect(plain.ok).toBe(false)
    expect(plain.ok ? '' : plain.blockers.join('; ')).toMatch(/sofia reconcile clear/)
    expect(ks.active).toBe(true)
    expect(ks.deactivate('fixed', 'operator:ann', 3, [], { clearsReconciliation: true }).ok).toBe(true)
    expect(ks.active).toBe(false)
  })

  it('is refused while the KILL_SWITCH file exists, naming its path', () => {
    const ks = new KillSwitch('AUTO')
    ks.trip('daily_loss', 'loss', 'system', 1)
    const r = ks.deactivate('ok', 'operator:ann', 2, [], { killFilePresent: '/srv/sofia/KILL_SWITCH' })
    expect(r.ok ? '' : r.blockers.join('; ')).toContain('/srv/sofia/KILL_SWITCH')
    expect(ks.active).toBe(true)
    expect(ks.deactivate('ok', 'operator:ann', 3, []).ok).toBe(true)
  })

  it('automatic triggers are the ones an operator does not pull', () => {
    expect(KILL_SWITCH_TRIGGERS.filter(isAutomaticTrigger)).toEqual(['daily_loss', 'hourly_loss', 'drawdown', 'error_rate', 'reconciliation', 'alert_rule'])
  })
})
