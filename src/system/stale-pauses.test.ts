import { describe, expect, it } from 'vitest'
import { StalePauses } from './stale-pauses.js'
import type { StalePauseChange } from './stale-pauses.js'

describe('strategies held to reducing orders while their data is stale', () => {
  it('pauses only the strategies on a stale feed (and those with no known feed), once, and resumes them when it flows', () => {
    const changes: StalePauseChange[] = []
    const s = new StalePauses(new Map([['a', ['x:BTC/USDT']], ['b', ['x:ETH/USDT']], ['c', []]]), (c) => changes.push(c))
    s.traded('b', 'y:ETH/USDT')
    s.traded('unknown', 'x:BTC/USDT')
    s.update(['x:BTC/USDT'], true)
    s.update(['x:BTC/USDT'], true)
    expect([...s.pauses]).toEqual([
      ['a', ['x:BTC/USDT']],
      ['c', ['x:BTC/USDT']],
    ])
    expect(s.staleFeedsOf('b')).toEqual([])
    s.update(['y:ETH/USDT'], true)
    expect(s.staleFeedsOf('b')).toEqual(['y:ETH/USDT'])
    s.update([], true)
    expect(s.staleFeedsOf('b')).toEqual(['*'])
    s.update([], false)
    expect(changes.map((c) => `${c.strategyId} ${c.state} ${c.feeds.join(',')}`)).toEqual([
      'a paused x:BTC/USDT',
      'c paused x:BTC/USDT',
      'a resumed x:BTC/USDT',
      'b paused y:ETH/USDT',
      'a paused *',
      'a resumed *',
      'b resumed y:ETH/USDT',
      'c resumed x:BTC/USDT',
    ])
    expect(s.pauses.size).toBe(0)
  })
})
