/**
 * @module system/dispatch.test
 * One command set, read by one parser, run live (in a session, by `dispatch`) and on the store (no session,
 * by the operator console): the same bad argument is refused the same way by both, and each runs what only
 * its side can.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import { buildSession } from './build-session.js'
import { MemoryStore } from '../store/index.js'
import type { ControlCommand } from './control.js'
import { OperatorConsole } from './operator.js'
import { answer } from './command-results.js'
import type { CommandResults } from './command-results.js'

const BAD: [ControlCommand, Record<string, unknown>][] = [
  ['kill_switch.activate', {}],
  ['trading_state.set', { state: 'PAUSED' }],
  ['position_override.set', { multiplier: 2 }],
  ['orders.cancel', {}],
  ['orders.place', { reason: 'r', venue: 'synthetic', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '1' }],
  ['audit.append', { type: 'nope' }],
  ['kill_switch.deactivate', { acknowledgeLoss: 'yes' }],
]

describe('operator commands, live and on the store', () => {
  it('refuse the same bad arguments with the same line, and run what each side can', async () => {
    const paper = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 20 })
    const offline = new OperatorConsole(new MemoryStore(), 'AUTO')
    try {
      const s = paper.trader.safety
      const run = (command: ControlCommand, args: Record<string, unknown>) => s.execute({ command, args, actor: 'operator:test' })
      for (const [command, args] of BAD) {
        const live = run(command, args)
        const stored = await offline.execute(command, args, 'operator:test')
        expect(live.ok, command).toBe(false)
        expect(stored).toMatchObject({ ok: false, error: live.error, via: 'store' })
      }
      // Live: the session acts.
      expect(run('trading_state.set', { state: 'REDUCING', strategyId: 'sma-cross', reason: 'desk' })).toMatchObject({ ok: true, result: { changed: true } })
      expect(s.tradingState('sma-cross')).toBe('REDUCING')
      expect(run('position_override.set', { multiplier: '0.5', strategyId: 'sma-cross' })).toMatchObject({ ok: true, result: { strategies: { 'sma-cross': '0.5' } } })
      expect(run('orders.cancel', { clientOrderId: 'nope-1' })).toEqual({ ok: false, error: 'no order nope-1 in this session' })
      expect(run('mode.set', { mode: 'live' })).toEqual({ ok: false, error: 'mode.set: this session (paper) has no exchange modes' })
      expect(run('rollback', { reason: 'r' })).toEqual({ ok: false, error: 'rollback: this session (paper) has no rollback procedure installed' })
      expect(await s.executeAsync({ command: 'mode.set', args: { mode: 'prod' }, actor: 'operator:test' })).toEqual({ ok: false, error: 'mode must be one of paper, shadow, canary, live, testnet' })
      expect(run('kill_switch.activate', { reason: 'desk: halt' })).toMatchObject({ ok: true, result: { changed: true, state: { active: true, trigger: 'manual' } } })
      const order = run('orders.place', { reason: 'desk', venue: 'synthetic', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.01' })
      expect(order).toMatchObject({ ok: false, result: { state: 'denied' } })
      // On the store: what needs a venue is refused; the kill switch is recorded for the next session.
      expect(await offline.execute('orders.place', { reason: 'desk', venue: 'synthetic', symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.01' }, 'operator:test')).toEqual({
        ok: false,
        error: 'orders.place needs a running session to reach the venue',
        via: 'store',
      })
      expect(await offline.execute('kill_switch.activate', { reason: 'desk: halt' }, 'operator:test')).toMatchObject({ ok: true, via: 'store', result: { changed: true } })
      expect((await offline.status()).killSwitch.active).toBe(true)
    } finally {
      await paper.close()
    }
  })
})

describe('typed answers', () => {
  it("each command's result has its own type, live and on the store", async () => {
    const paper = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 20 })
    const offline = new OperatorConsole(new MemoryStore(), 'AUTO')
    try {
      const live = paper.trader.safety.execute({ command: 'kill_switch.activate', args: { reason: 'typed' }, actor: 'operator:test' })
      expect(live.ok).toBe(true)
      if (live.ok) {
        expectTypeOf(live.result.changed).toEqualTypeOf<boolean>()
        expect(live.result.changed).toBe(true)
        expect(live.result.state.active).toBe(true)
      }
      const stored = await offline.execute('trading_state.set', { state: 'REDUCING', reason: 'typed' }, 'operator:test')
      if (!stored.ok) throw new Error(stored.error)
      expectTypeOf(stored.result.tradingStates).toEqualTypeOf<CommandResults['trading_state.set']['tradingStates']>()
      expect(stored.result.changed).toBe(true)
    } finally {
      await paper.close()
    }
  })

  it('an answer of the wrong shape for its command does not compile', () => {
    const c = { command: 'orders.cancel_all' } as const
    expect(answer(c, { requested: 2 })).toEqual({ ok: true, result: { requested: 2 } })
    // @ts-expect-error cancel_all answers with how many cancels were asked for, not a kill switch state
    answer(c, { changed: true })
  })
})
