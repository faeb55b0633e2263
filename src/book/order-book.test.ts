/**
 * @module book/order-book.test
 * The matching engine: priority, partial fills, cancels, market orders, depth, self-trade prevention, and a
 * seeded random flow checked against a deliberately naive reference book.
 */
import { describe, expect, it } from 'vitest'
import type { OrderSide } from '../model/index.js'
import { OrderBook } from './order-book.js'
import type { Match, SelfTradeMode } from './order-book.js'

type Fill = Omit<Match, 'makerOwner' | 'takerOwner'>

function recording(selfTrade: SelfTradeMode = 'allow') {
  const fills: Fill[] = []
  const expired: Array<[id: number, lots: number, resting: boolean]> = []
  const book = new OrderBook({
    selfTrade,
    listener: {
      onMatch: (m) =>
        fills.push({ makerId: m.makerId, takerId: m.takerId, takerSide: m.takerSide, price: m.price, lots: m.lots, makerLots: m.makerLots }),
      onExpire: (id, _owner, lots, resting) => expired.push([id, lots, resting]),
    },
  })
  return { book, fills, expired }
}

describe('OrderBook', () => {
  it('fills by price first, then by time', () => {
    const { book, fills } = recording()
    book.add(1, 'sell', 101, 5)
    book.add(2, 'sell', 100, 5)
    book.add(3, 'sell', 100, 5)
    book.add(4, 'sell', 99, 2)
    expect(book.add(10, 'buy', 100, 10)).toBe(0)
    expect(fills.map((f) => [f.makerId, f.price, f.lots])).toEqual([
      [4, 99, 2],
      [2, 100, 5],
      [3, 100, 3],
    ])
    expect(book.get(3)?.lots).toBe(2)
    expect(book.bestAsk()).toBe(100)
  })

  it('rests the remainder of a marketable limit at its own price', () => {
    const { book, fills } = recording()
    book.add(1, 'sell', 100, 3)
    book.add(2, 'sell', 102, 3)
    expect(book.add(3, 'buy', 101, 10)).toBe(7)
    expect(fills).toHaveLength(1)
    expect(book.bestBid()).toBe(101)
    expect(book.bestAsk()).toBe(102)
    expect(book.get(3)).toMatchObject({ id: 3, side: 'buy', price: 101, lots: 7 })
  })

  it('fills partially across levels and reports what the maker has left', () => {
    const { book, fills } = recording()
    book.add(1, 'buy', 100, 4)
    book.add(2, 'buy', 99, 4)
    expect(book.add(3, 'sell', 99, 6)).toBe(0)
    expect(fills).toEqual([
      { makerId: 1, takerId: 3, takerSide: 'sell', price: 100, lots: 4, makerLots: 0 },
      { makerId: 2, takerId: 3, takerSide: 'sell', price: 99, lots: 2, makerLots: 2 },
    ])
    expect(book.size).toBe(1)
    expect(book.has(1)).toBe(false)
  })

  it('cancels from the middle of a queue and keeps the others in order', () => {
    const { book, fills } = recording()
    for (let id = 1; id <= 4; id++) book.add(id, 'sell', 100, 1)
    expect(book.cancel(2)).toMatchObject({ id: 2, lots: 1 })
    expect(book.cancel(2)).toBeUndefined()
    expect(book.cancel(99)).toBeUndefined()
    book.market(10, 'buy', 3)
    expect(fills.map((f) => f.makerId)).toEqual([1, 3, 4])
    expect(book.size).toBe(0)
    expect(book.bestAsk()).toBeUndefined()
  })

  it('removes a level when its last order is canceled', () => {
    const { book } = recording()
    book.add(1, 'buy', 100, 1)
    book.add(2, 'buy', 98, 1)
    book.add(3, 'buy', 99, 1)
    book.cancel(3)
    expect(book.depth().bids).toEqual([
      [100, 1],
      [98, 1],
    ])
    book.cancel(1)
    expect(book.bestBid()).toBe(98)
  })

  it('walks the book with a market order and returns what it could not fill', () => {
    const { book, fills } = recording()
    book.add(1, 'buy', 100, 2)
    book.add(2, 'buy', 95, 3)
    expect(book.market(3, 'sell', 10)).toBe(5)
    expect(fills.map((f) => [f.price, f.lots])).toEqual([
      [100, 2],
      [95, 3],
    ])
    expect(book.market(4, 'sell', 1)).toBe(1)
  })

  it('takes only what is priced within the limit (immediate-or-cancel)', () => {
    const { book } = recording()
    book.add(1, 'sell', 100, 2)
    book.add(2, 'sell', 101, 2)
    expect(book.take(3, 'buy', 100, 5)).toBe(3)
    expect(book.has(3)).toBe(false)
    expect(book.depth().asks).toEqual([[101, 2]])
  })

  it('aggregates depth per level, best first, limited to n levels', () => {
    const { book } = recording()
    book.add(1, 'buy', 99, 1)
    book.add(2, 'buy', 100, 2)
    book.add(3, 'buy', 100, 3)
    book.add(4, 'sell', 102, 4)
    book.add(5, 'sell', 101, 5)
    book.add(6, 'sell', 103, 6)
    expect(book.depth()).toEqual({
      bids: [
        [100, 5],
        [99, 1],
      ],
      asks: [
        [101, 5],
        [102, 4],
        [103, 6],
      ],
    })
    expect(book.depth(1)).toEqual({ bids: [[100, 5]], asks: [[101, 5]] })
    expect(book.lotsAt('sell', 102)).toBe(4)
    expect(book.ordersOf('buy').map((o) => o.id)).toEqual([2, 3, 1])
  })

  it('refuses non-integer lots or prices and an id already resting', () => {
    const { book } = recording()
    expect(() => book.add(1, 'buy', 100.5, 1)).toThrow(RangeError)
    expect(() => book.add(1, 'buy', 100, 0)).toThrow(RangeError)
    expect(() => book.add(1, 'buy', 100, 1.5)).toThrow(RangeError)
    book.add(1, 'buy', 100, 1)
    expect(() => book.add(1, 'buy', 99, 1)).toThrow(RangeError)
  })

  describe('self-trade', () => {
    it('allow: trades with itself like anyone else', () => {
      const { book, fills } = recording('allow')
      book.add(1, 'sell', 100, 2, 'a')
      expect(book.add(2, 'buy', 100, 2, 'a')).toBe(0)
      expect(fills).toHaveLength(1)
    })

    it('expire-taker: the taker remainder is dropped, the maker stays', () => {
      const { book, fills, expired } = recording('expire-taker')
      book.add(1, 'sell', 99, 1, 'b')
      book.add(2, 'sell', 100, 2, 'a')
      expect(book.add(3, 'buy', 100, 5, 'a')).toBe(0)
      expect(fills.map((f) => f.makerId)).toEqual([1])
      expect(expired).toEqual([[3, 4, false]])
      expect(book.get(2)?.lots).toBe(2)
      expect(book.has(3)).toBe(false)
    })

    it('expire-maker: the resting order goes, the taker keeps matching and rests', () => {
      const { book, fills, expired } = recording('expire-maker')
      book.add(1, 'sell', 100, 2, 'a')
      book.add(2, 'sell', 100, 1, 'b')
      expect(book.add(3, 'buy', 100, 5, 'a')).toBe(4)
      expect(expired).toEqual([[1, 2, true]])
      expect(fills.map((f) => f.makerId)).toEqual([2])
      expect(book.bestBid()).toBe(100)
      expect(book.bestAsk()).toBeUndefined()
    })

    it('expire-both: both go', () => {
      const { book, expired } = recording('expire-both')
      book.add(1, 'sell', 100, 2, 'a')
      expect(book.add(2, 'buy', 100, 5, 'a')).toBe(0)
      expect(expired).toEqual([
        [1, 2, true],
        [2, 5, false],
      ])
      expect(book.size).toBe(0)
      expect(book.depth()).toEqual({ bids: [], asks: [] })
    })
  })

  it('matches a naive reference book on a seeded random flow', () => {
    // Reference: an unsorted list scanned in full for every decision. Slow, obviously right.
    interface Ref {
      id: number
      side: OrderSide
      price: number
      lots: number
      seq: number
    }
    let refOrders: Ref[] = []
    let seq = 0
    const refFills: Array<[number, number, number, number]> = []
    const refTake = (id: number, side: OrderSide, limit: number, lots: number): number => {
      let left = lots
      while (left > 0) {
        const candidates = refOrders.filter((o) => o.side !== side && (side === 'buy' ? o.price <= limit : o.price >= limit))
        if (candidates.length === 0) break
        candidates.sort((a, b) => (side === 'buy' ? a.price - b.price : b.price - a.price) || a.seq - b.seq)
        const maker = candidates[0]!
        const q = Math.min(maker.lots, left)
        maker.lots -= q
        left -= q
        refFills.push([maker.id, id, maker.price, q])
        refOrders = refOrders.filter((o) => o.lots > 0)
      }
      return left
    }
    const fills: Array<[number, number, number, number]> = []
    const book = new OrderBook({ listener: { onMatch: (m) => fills.push([m.makerId, m.takerId, m.price, m.lots]) } })
    let state = 12345
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      return state / 2 ** 32
    }
    for (let id = 1; id <= 3000; id++) {
      const r = random()
      const side: OrderSide = random() < 0.5 ? 'buy' : 'sell'
      const lots = 1 + Math.floor(random() * 9)
      if (r < 0.55) {
        const price = 90 + Math.floor(random() * 21)
        const rested = book.add(id, side, price, lots)
        const left = refTake(id, side, price, lots)
        expect(rested).toBe(left)
        if (left > 0) refOrders.push({ id, side, price, lots: left, seq: seq++ })
      } else if (r < 0.85 && refOrders.length > 0) {
        const victim = refOrders[Math.floor(random() * refOrders.length)]!
        expect(book.cancel(victim.id)?.lots).toBe(victim.lots)
        refOrders = refOrders.filter((o) => o !== victim)
      } else {
        expect(book.market(id, side, lots)).toBe(refTake(id, side, side === 'buy' ? Infinity : -Infinity, lots))
      }
    }
    expect(fills).toEqual(refFills)
    expect(book.size).toBe(refOrders.length)
    const level = (side: OrderSide) => {
      const m = new Map<number, number>()
      for (const o of refOrders) if (o.side === side) m.set(o.price, (m.get(o.price) ?? 0) + o.lots)
      return [...m].sort((a, b) => (side === 'buy' ? b[0] - a[0] : a[0] - b[0]))
    }
    expect(book.depth()).toEqual({ bids: level('buy'), asks: level('sell') })
  })
})
