import { describe, expect, expectTypeOf, it } from 'vitest'
import { AuditLog } from './audit-log.js'
import { AUDIT_TYPES, isAuditType, isRecordOf, payloadOf } from './types.js'
import type { AuditEntry, AuditPayload, AuditPayloads, JsonObject } from './types.js'

describe('the audit vocabulary', () => {
  it('lists each record type once, in order, each of the form area.event', () => {
    expect([...AUDIT_TYPES].sort()).toEqual([...new Set(AUDIT_TYPES)])
    for (const t of AUDIT_TYPES) expect(t).toMatch(/^[a-z][a-z_]*(\.[a-z][a-z_]*)*$/)
  })

  it("takes Sofia's own types and an operator's operator.* records, and nothing else", () => {
    expect(['fill', 'order.triggered', 'kill_switch.activated', 'operator.note', 'operator.incident.opened'].map(isAuditType)).toEqual([true, true, true, true, true])
    expect(['order.trigered', 'operator.', 'operator.Bad', 'kill_switch', 'x'].map(isAuditType)).toEqual([false, false, false, false, false])
  })
})

describe('the payload of each record type', () => {
  it('is checked where a record is appended: a wrong or missing member does not compile', () => {
    const log = new AuditLog()
    log.record('risk.approved', 'system', { clientOrderId: 'c1' }, 1)
    log.record('operator.note', 'operator:ann', { text: 'anything an operator writes' }, 1)
    // @ts-expect-error a fill's amount is a decimal's text, not a number
    log.record('fill', 'system', { clientOrderId: 'c1', venue: 'sim', tradeId: 't1', symbol: 'BTC/USDT', side: 'buy', price: '1', amount: 1, cost: '1', fee: { cost: '0', currency: 'USDT' }, takerOrMaker: 'taker', orderState: 'closed' }, 1)
    // @ts-expect-error risk.denied needs its code and reason
    log.record('risk.denied', 'system', { clientOrderId: 'c1' }, 1)
    const entry: AuditEntry = { type: 'session.stopped', actor: 'system', payload: { fills: 1, orders: 2 } }
    // @ts-expect-error an entry's payload is the one of its type
    const wrong: AuditEntry = { type: 'session.stopped', actor: 'system', payload: { clientOrderId: 'c1' } }
    expect([entry.type, wrong.type, log.head.seq]).toEqual(['session.stopped', 'session.stopped', 4])
    expectTypeOf<AuditPayload<'order.accepted'>>().toEqualTypeOf<AuditPayloads['order.accepted']>()
    expectTypeOf<AuditPayload<'operator.note'>>().toEqualTypeOf<JsonObject>()
  })

  it('narrows a record read back by its type string alone, and skips other and unknown types', () => {
    const records: { type: string; payload: unknown }[] = [
      { type: 'risk.denied', payload: { clientOrderId: 'c1', code: 'MAX_POSITION', reason: 'too big' } },
      { type: 'order.retired_long_ago', payload: { anything: true } },
      { type: 'fill', payload: {} },
    ]
    const denied = records.filter((r) => isRecordOf(r, 'risk.denied'))
    expectTypeOf(denied[0]!.payload.code).toEqualTypeOf<string>()
    expect(denied.map((r) => r.payload.code)).toEqual(['MAX_POSITION'])
    // Not validated: a record of the type with another shape narrows all the same.
    expect(records.filter((r) => isRecordOf(r, 'fill')).map((r) => r.payload.tradeId)).toEqual([undefined])
  })

  it('reads a payload leniently: undefined for another type, every member optional, a non-object as no members', () => {
    const denied = { type: 'risk.denied', payload: { clientOrderId: 'c1', code: 'MAX_POSITION' } }
    expect(payloadOf(denied, 'alert')).toBeUndefined()
    const p = payloadOf(denied, 'risk.denied')
    expectTypeOf(p).toEqualTypeOf<Partial<AuditPayloads['risk.denied']> | undefined>()
    expect([p?.code, p?.reason]).toEqual(['MAX_POSITION', undefined])
    expect(payloadOf({ type: 'alert', payload: null }, 'alert')).toEqual({})
    expect(payloadOf({ type: 'alert', payload: ['x'] }, 'alert')).toEqual({})
  })
})
