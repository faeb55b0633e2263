import { describe, expect, it } from 'vitest'
import type { MarketEvent } from '../model/index.js'
import { EventQueue } from './event-queue.js'

const trade = (timestamp: number): MarketEvent => ({ kind: 'trade', venue: 'v', symbol: 'BTC/USDT', timestamp, price: 1, amount: 1 })

describe('EventQueue', () => {
  it('hands out what was pushed since the last batch as one batch, waits for more, and ends on close', async () => {
    const q = new EventQueue()
    q.push(trade(1))
    q.push(trade(2))
    const batches = q.batches()
    expect((await batches.next()).value).toEqual([trade(1), trade(2)])
    const waiting = batches.next()
    q.push(trade(3))
    expect((await waiting).value).toEqual([trade(3)])
    expect(q.delivered).toBe(3)
    const ended = batches.next()
    q.close()
    expect(await ended).toEqual({ done: true, value: undefined })
  })
})
