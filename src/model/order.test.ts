import { describe, expect, it } from 'vitest'
import { dec } from './decimal.js'
import { DuplicateFill, InvalidStateTransition, InvariantViolation } from './errors.js'
import { ORDER_EVENT_TYPES, Order, TRANSITIONS, ccxtStatus } from './order.js'
import type { OrderEvent, OrderEventType } from './order.js'
import { ORDER_STATES } from './order-types.js'
import type { OrderState } from './order-types.js'
import type { Trade } from './trade.js'

function newOrder(amount = '2'): Order {
  return new Order({
    clientOrderId: 'c-1',
    strategyId: 's',
    venue: 'sim',
    symbol: 'BTC/USDT',
    type: 'limit',
    side: 'buy',
    amount: dec(amount),
    price: dec('100'),
    timestamp: 0,
  })
}

let tradeSeq = 0
function trade(amount: string, side: 'buy' | 'sell' = 'buy'): Trade {
  tradeSeq++
  return {
    id: `t${tradeSeq}`,
    order: 'o1',
    clientOrderId: 'c-1',
    venue: 'sim',
    symbol: 'BTC/USDT',
    timestamp: 1,
    side,
    price: dec('100'),
    amount: dec(amount),
    cost: dec(amount).mul(100),
    fee: { cost: dec('0.1'), currency: 'USDT' },
    takerOrMaker: 'maker',
  }
}

function eventOf(type: OrderEventType, fillAmount = '1'): OrderEvent {
  switch (type) {
    case 'submitted':
    case 'cancel_requested':
    case 'canceled':
    case 'expired':
    case 'triggered':
      return { type, timestamp: 1 }
    case 'denied':
      return { type, timestamp: 1, code: 'X', reason: 'x' }
    case 'accepted':
      return { type, timestamp: 1, venueOrderId: 'o1' }
    case 'rejected':
    case 'cancel_rejected':
      return { type, timestamp: 1, reason: 'r' }
    case 'filled':
      return { type, timestamp: 1, trade: trade(fillAmount) }
  }
}

/** Drives a fresh order into `state` through legal events. */
function orderIn(state: OrderState): Order {
  const o = newOrder()
  const path: Record<OrderState, OrderEventType[]> = {
    created: [],
    denied: ['denied'],
    submitted: ['submitted'],
    open: ['submitted', 'accepted'],
    pending_cancel: ['submitted', 'accepted', 'cancel_requested'],
    closed: ['submitted', 'accepted'],
    canceled: ['submitted', 'canceled'],
    expired: ['submitted', 'expired'],
    rejected: ['submitted', 'rejected'],
  }
  for (const t of path[state]) o.apply(eventOf(t))
  if (state === 'closed') o.apply(eventOf('filled', '2'))
  expect(o.state).toBe(state)
  return o
}

describe('order state machine', () => {
  const pairs = ORDER_STATES.flatMap((s) => ORDER_EVENT_TYPES.map((e) => [s, e] as const))

  it.each(pairs)('%s + %s follows the table', (state, type) => {
    const order = orderIn(state)
    const target = TRANSITIONS[state][type]
    if (target === undefined) {
      expect(() => order.apply(eventOf(type))).toThrow(InvalidStateTransition)
      expect(order.state).toBe(state)
      return
    }
    order.apply(eventOf(type))
    // A partial fill (1 of 2) leaves the order working; pending_cancel stays pending; a late fill leaves a
    // canceled or expired order as it was.
    const expected = target === 'fill' ? (state === 'pending_cancel' || state === 'canceled' || state === 'expired' ? state : 'open') : target
    expect(order.state).toBe(expected)
  })

  it('closes when the last fill completes the amount', () => {
    const o = orderIn('open')
    o.apply(eventOf('filled', '0.5'))
    o.apply(eventOf('filled', '1.5'))
    expect(o.state).toBe('closed')
    expect(o.filled.toString()).toBe('2')
    expect(o.average?.toString()).toBe('100')
    expect(o.fees.get('USDT')?.toString()).toBe('0.2')
    expect(o.status).toBe('closed')
  })

  it('closes from pending_cancel when filled completely before the cancel lands', () => {
    const o = orderIn('pending_cancel')
    o.apply(eventOf('filled', '2'))
    expect(o.state).toBe('closed')
  })

  it('keeps a fill that arrives after the cancel, and closes an order such fills complete', () => {
    const o = orderIn('canceled')
    o.apply(eventOf('filled', '0.5'))
    expect(o.state).toBe('canceled')
    expect(o.filled.toString()).toBe('0.5')
    o.apply(eventOf('filled', '1.5'))
    expect(o.state).toBe('closed')
  })

  it('refuses a repeated fill', () => {
    const o = orderIn('open')
    const t = trade('1')
    o.apply({ type: 'filled', timestamp: 1, trade: t })
    expect(o.isRedundant({ type: 'filled', timestamp: 1, trade: t })).toBe(true)
    expect(() => o.apply({ type: 'filled', timestamp: 1, trade: t })).toThrow(DuplicateFill)
    expect(o.filled.toString()).toBe('1')
  })

  it('refuses an overfill and a wrong-side fill', () => {
    const o = orderIn('open')
    expect(() => o.apply(eventOf('filled', '2.00000001'))).toThrow(InvariantViolation)
    expect(() => o.apply({ type: 'filled', timestamp: 1, trade: trade('1', 'sell') })).toThrow(InvariantViolation)
    expect(o.filled.toString()).toBe('0')
  })

  it('maps every state onto a CCXT status', () => {
    expect(ORDER_STATES.map(ccxtStatus)).toEqual([
      'open', 'rejected', 'open', 'open', 'open', 'closed', 'canceled', 'expired', 'rejected',
    ])
  })
})

describe('Order.restore', () => {
  const init = { clientOrderId: 'c-9', strategyId: 's', venue: 'sim', symbol: 'BTC/USDT', type: 'limit' as const, side: 'buy' as const, amount: dec('2'), price: dec('100'), timestamp: 5 }
  const recorded = { state: 'open' as const, filled: dec('1'), cost: dec('100'), venueOrderId: 'v-1', reason: undefined, lastUpdate: 7, triggeredAt: 6 }

  it('makes an order in its recorded state, which then goes on through the table', () => {
    const o = Order.restore(init, recorded)
    expect([o.state, o.filled.toString(), o.cost.toString(), o.venueOrderId, o.lastUpdate, o.triggeredAt]).toEqual(['open', '1', '100', 'v-1', 7, 6])
    o.apply({ type: 'filled', timestamp: 8, trade: { ...trade('1'), id: 't-2', side: 'buy', clientOrderId: 'c-9' } })
    expect([o.state, o.filled.toString(), o.cost.toString(), o.lastUpdate]).toEqual(['closed', '2', '200', 8])
    expect(() => o.apply({ type: 'canceled', timestamp: 9 })).toThrow(/canceled is not allowed in state closed/)
  })

  it('leaves its progress read-only from outside: only its events change it', () => {
    const o = Order.restore(init, recorded)
    for (const field of ['state', 'filled', 'cost', 'venueOrderId', 'reason', 'lastUpdate', 'triggeredAt']) {
      expect(() => ((o as unknown as Record<string, unknown>)[field] = 'x'), field).toThrow(TypeError)
    }
    expect(o.state).toBe('open')
  })
})
