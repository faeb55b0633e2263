import { describe, expect, it } from 'vitest'
import { buildSession } from './build-session.js'
import { MemoryStore } from '../store/index.js'
import type { KillSwitchEvent } from '../risk/index.js'
import type { SafetyStateChange } from './safety.js'

describe("Safety's listeners (the cluster link)", () => {
  it('a kill-switch listener that throws keeps neither the change, its audit record, nor the next listener from happening', async () => {
    const store = new MemoryStore()
    const paper = await buildSession({ kind: 'paper', store, stepMs: 20 })
    try {
      const heard: KillSwitchEvent[] = []
      paper.trader.safety.onKillSwitchEvent(() => {
        throw new Error('link closing')
      })
      paper.trader.safety.onKillSwitchEvent((e) => heard.push(e))
      expect(paper.trader.safety.activate('manual', 'test: halt', 'operator:test')).toBe(true)
      expect(paper.trader.safety.killSwitch.state().active).toBe(true)
      expect(heard.map((e) => [e.action, e.trigger, e.reason])).toEqual([['activated', 'manual', 'test: halt']])
      await paper.trader.persistence!.barrier()
      const types: string[] = []
      for await (const batch of store.iterateAudit()) for (const r of batch) types.push(r.type)
      expect(types).toContain('kill_switch.activated')
    } finally {
      await paper.close()
    }
  })

  it('tells state listeners of each change of trading state, once, and not of a change to the same state', async () => {
    const paper = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 20 })
    try {
      const changes: SafetyStateChange[] = []
      const off = paper.trader.safety.onStateChange((c) => changes.push(c))
      paper.trader.safety.onStateChange(() => {
        throw new Error('a failing listener is logged, not thrown')
      })
      expect(paper.trader.safety.setTradingState('REDUCING', 'operator:test', 'sma-cross', 'test: reduce')).toBe(true)
      expect(paper.trader.safety.setTradingState('REDUCING', 'operator:test', 'sma-cross', 'again')).toBe(false)
      paper.trader.safety.setTradingState('HALTED', 'operator:test', undefined, 'test: account')
      off()
      paper.trader.safety.setTradingState('ACTIVE', 'operator:test', undefined, 'not heard')
      expect(changes.map((c) => [c.what, c.subject, c.state, c.reason, c.actor])).toEqual([
        ['trading_state', 'sma-cross', 'REDUCING', 'test: reduce', 'operator:test'],
        ['trading_state', 'account', 'HALTED', 'test: account', 'operator:test'],
      ])
    } finally {
      await paper.close()
    }
  })
})
