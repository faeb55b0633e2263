/**
 * @module chain/audit-record
 * The audit chain's record, as stored and as the API sends it. Types only, with no import: the dashboard imports it
 * as it is (through api/wire) and is type-checked without Node's types.
 */
export interface AuditRecord {
  /** 1, 2, 3, … without gaps. */
  readonly seq: number
  /** ms since the Unix epoch (engine time). */
  readonly ts: number
  /** What happened, e.g. `order.submitted`, `risk.denied`, `fill`, `kill_switch.activated`. */
  readonly type: string
  /** `system`, `strategy:<id>` or `operator:<name>`. */
  readonly actor: string
  readonly payload: unknown
  readonly prevHash: string
  readonly hash: string
}
