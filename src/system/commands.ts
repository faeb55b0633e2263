/**
 * @module system/commands
 * The operator's commands, typed. Every command that reaches Sofia — from the control channel, the HTTP API
 * or the CLI with no session running — is read here once into an `OperatorCommand`: a command name with its
 * own arguments, checked, so what runs it (`Safety.execute` in a session, `OperatorConsole` on the store)
 * switches on a discriminated union and never re-checks a string. A bad argument is refused in one line
 * naming the field.
 */
import { z } from 'zod'
import { isAuditType } from '../audit/index.js'
import type { AuditType } from '../audit/index.js'
import { dec } from '../model/index.js'
import type { Decimal } from '../model/index.js'
import { ROUTER_MODES } from '../execution/index.js'
import { TRADING_STATES } from '../risk/index.js'
import type { ControlCommand } from './control.js'

/** Optional free text; anything but a string reads as none (older clients sent null). */
const note = z.unknown().optional().transform((v) => (typeof v === 'string' ? v : ''))
const required = note.refine((v) => v.trim() !== '', 'a reason is required')
const name = z.string().min(1).optional()
const text = z.union([z.string(), z.number().transform(String)]).optional()
const positive = (key: string) =>
  text.transform((raw, ctx): Decimal | undefined => {
    if (raw === undefined || raw === '') return undefined
    if (!/^\d+(\.\d+)?$/.test(raw) || !dec(raw).gt(0)) {
      ctx.addIssue({ code: 'custom', message: `${key} must be a positive decimal, got '${raw}'` })
      return z.NEVER
    }
    return dec(raw)
  })

/** An audit record type as operators' tools name them: `registry.registered`, `operator.note`. */
const RECORD_TYPE = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/

const SCHEMAS = {
  'kill_switch.activate': z.object({ reason: required }),
  'reconciliation.failed': z.object({ reason: required }),
  shutdown: z.object({ reason: note }),
  'kill_switch.deactivate': z.object({ reason: note, clearsReconciliation: z.boolean().optional(), acknowledgeLoss: z.boolean().optional() }),
  'trading_state.set': z.object({
    state: z.enum(TRADING_STATES, { error: `state must be one of ${TRADING_STATES.join(', ')}` }),
    strategyId: name,
    reason: note,
  }),
  'position_override.set': z.object({
    multiplier: z.unknown().transform((m, ctx) => {
      if ((typeof m !== 'string' && typeof m !== 'number') || !Number.isFinite(Number(m)) || Number(m) < 0 || Number(m) > 1) {
        ctx.addIssue({ code: 'custom', message: `multiplier must be a number from 0 to 1, got ${JSON.stringify(m)}` })
        return z.NEVER
      }
      return String(m)
    }),
    strategyId: name,
    reason: note,
  }),
  'orders.cancel_all': z.object({ reason: note }),
  'orders.cancel': z.object({ clientOrderId: z.string({ error: 'clientOrderId is required' }).min(1, 'clientOrderId is required'), reason: note }),
  'orders.place': z
    .object({
      reason: required,
      venue: text,
      symbol: text,
      side: z.unknown(),
      type: z.unknown(),
      amount: positive('amount'),
      price: positive('price'),
      triggerPrice: positive('triggerPrice'),
    })
    .transform((a, ctx) => {
      const fail = (message: string): never => {
        ctx.addIssue({ code: 'custom', message })
        return z.NEVER
      }
      if (a.venue === undefined || a.venue === '' || a.symbol === undefined || a.symbol === '') return fail('venue and symbol are required')
      if (a.side !== 'buy' && a.side !== 'sell') return fail('side must be buy or sell')
      if (a.type !== 'market' && a.type !== 'limit') return fail('type must be market or limit')
      if (a.amount === undefined) return fail('amount is required')
      if (a.type === 'limit' && a.price === undefined) return fail('a limit order needs a price')
      if (a.type === 'market' && a.price !== undefined) return fail('a market order takes no price')
      return { reason: a.reason, venue: a.venue, symbol: a.symbol, side: a.side, type: a.type, amount: a.amount, price: a.price, triggerPrice: a.triggerPrice } as ManualOrder
    }),
  'positions.flatten': z.object({ reason: required, strategy: name, symbol: name }),
  status: z.object({}),
  'audit.append': z.object({
    type: z.unknown().transform((t, ctx): AuditType => {
      if (typeof t === 'string' && RECORD_TYPE.test(t) && isAuditType(t)) return t
      ctx.addIssue({ code: 'custom', message: `audit.append: args.type must be a record type of the audit vocabulary (like registry.registered) or operator.*, got ${JSON.stringify(t)}` })
      return z.NEVER
    }),
    payload: z.unknown().optional(),
  }),
  'mode.set': z
    .object({
      mode: z.enum(ROUTER_MODES, { error: `mode must be one of ${ROUTER_MODES.join(', ')}` }),
      // The runbook's canary steps (10%, then 50%): with a switch to canary, or while in canary.
      percentage: z
        .union([z.number(), z.string(), z.null()])
        .optional()
        .transform((p, ctx): number | undefined => {
          if (p === undefined || p === null) return undefined
          const n = typeof p === 'number' ? p : Number(p)
          if (n > 0 && n <= 100) return n
          ctx.addIssue({ code: 'custom', message: `percentage must be in (0, 100], got ${String(p)}` })
          return z.NEVER
        }),
      reason: note,
    })
    .transform((a, ctx) => {
      if (a.percentage === undefined || a.mode === 'canary') return a
      ctx.addIssue({ code: 'custom', message: `percentage: only with mode canary (got mode ${a.mode})` })
      return z.NEVER
    }),
  'shadow.rollback': z.object({ reason: note }),
  /** `adopt`: take the exchange's open orders of the account that are not Sofia's into the session. */
  resync: z.object({ adopt: z.boolean().optional(), reason: note }),
  // The rollback procedure reads its own arguments (trigger, target version, strategies).
  rollback: z.object({ reason: note }).loose(),
} satisfies Record<ControlCommand, z.ZodType>

/** An operator's manual order from the ticket, checked. */
export interface ManualOrder {
  readonly reason: string
  readonly venue: string
  readonly symbol: string
  readonly side: 'buy' | 'sell'
  readonly type: 'market' | 'limit'
  readonly amount: Decimal
  readonly price: Decimal | undefined
  readonly triggerPrice: Decimal | undefined
}

export type CommandArgs<C extends ControlCommand> = z.output<(typeof SCHEMAS)[C]>

/** One operator command with its checked arguments. */
export type OperatorCommand = { [C in ControlCommand]: { readonly command: C; readonly args: CommandArgs<C>; readonly actor: string } }[ControlCommand]

/**
 * Reads a command and its arguments (as they came: JSON from the API or the store, flags from the CLI).
 * Refused in one line naming the field: `trading_state.set: state must be one of …`.
 */
export function parseCommand(command: ControlCommand, args: Readonly<Record<string, unknown>>, actor: string): { ok: true; value: OperatorCommand } | { ok: false; error: string } {
  const schema: z.ZodType | undefined = SCHEMAS[command]
  if (schema === undefined) return { ok: false, error: `unknown command '${String(command)}'` }
  const r = schema.safeParse(args)
  if (r.success) return { ok: true, value: { command, args: r.data, actor } as OperatorCommand }
  const issue = r.error.issues[0]!
  // A message written here, or one that names its field, says what it is about; zod's own get the field.
  const field = issue.path.join('.')
  const named = issue.code === 'custom' || field === '' || issue.message.includes(field)
  return { ok: false, error: named ? issue.message : `${field}: ${issue.message}` }
}
