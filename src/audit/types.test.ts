import { describe, expect, it } from 'vitest'
import { AUDIT_TYPES, isAuditType } from './types.js'

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
