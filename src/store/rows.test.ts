/**
 * @module store/rows.test
 * What the read filters select, stated once for the three stores, and the fill key read back from its row.
 */
import { describe, expect, it } from 'vitest'
import { DuplicateFill } from '../model/index.js'
import { auditConditions, duplicateFill, fillConditions, fillRow, fillRowKey } from './rows.js'
import type { Condition } from './rows.js'
import type { AuditRange, FillFilter } from './store.js'
import { makeFill } from './store.contract.js'

describe('fillConditions', () => {
  const cases: [string, FillFilter, Condition[]][] = [
    ['no filter', {}, []],
    ['every field', { venue: 'binance', strategyId: 's1', symbol: 'BTC/USDT', since: 10, until: 20 }, [
      { column: 'venue', op: '=', value: 'binance' },
      { column: 'strategy_id', op: '=', value: 's1' },
      { column: 'symbol', op: '=', value: 'BTC/USDT' },
      { column: 'timestamp', op: '>=', value: 10 },
      { column: 'timestamp', op: '<', value: 20 },
    ]],
    ['a zero bound is a bound', { since: 0 }, [{ column: 'timestamp', op: '>=', value: 0 }]],
  ]
  for (const [label, filter, expected] of cases) {
    it(label, () => expect(fillConditions(filter)).toEqual(expected))
  }
})

describe('auditConditions', () => {
  const cases: [string, AuditRange, Condition[]][] = [
    ['no range', {}, []],
    ['fromSeq is left to the cursor', { fromSeq: 3 }, []],
    ['toSeq inclusive, toTs exclusive', { fromSeq: 1, toSeq: 9, fromTs: 100, toTs: 200 }, [
      { column: 'seq', op: '<=', value: 9 },
      { column: 'ts', op: '>=', value: 100 },
      { column: 'ts', op: '<', value: 200 },
    ]],
  ]
  for (const [label, range, expected] of cases) {
    it(label, () => expect(auditConditions(range)).toEqual(expected))
  }
})

describe('a duplicate fill', () => {
  const fill = makeFill('t1', { side: 'sell' })

  it('is keyed by the venue, trade id and side of its encoded row', () => {
    expect(fillRowKey(fillRow(fill))).toEqual({ venue: 'binance', tradeId: 't1', side: 'sell' })
  })

  it('is refused with one message, keeping its cause', () => {
    const cause = new Error('constraint')
    const error = duplicateFill(fillRowKey(fillRow(fill)), { cause })
    expect(error).toBeInstanceOf(DuplicateFill)
    expect(error.message).toBe('fill binance trade t1 sell is already stored (duplicate venue trade id and side); batch not written')
    expect(error.cause).toBe(cause)
  })
})
