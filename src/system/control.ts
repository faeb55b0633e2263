/**
 * @module system/control
 * How an operator's command reaches a running session without a server (the HTTP API does the same when
 * `sofia serve` runs). A running session holds a lease in the store and refreshes its heartbeat; a command
 * from another process is left in the store as a request, executed by the session (which alone appends to
 * the audit chain while it runs), and answered in the store. When no session is alive, the CLI acts on the
 * store directly: there is then a single writer.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import { InputError } from '../model/index.js'
import type { Store } from '../store/index.js'
import type { AuditPayload, AuditType, AuditWriter } from '../audit/index.js'

export const LEASE_KEY = 'session.lease'
export const REQUEST_PREFIX = 'control.request.'
export const RESPONSE_PREFIX = 'control.response.'
/** A lease whose heartbeat is older than this belongs to a session that is gone (crashed or stopped). */
export const LEASE_TTL_MS = 5_000
export const HEARTBEAT_MS = 1_000

export interface Lease {
  readonly pid: number
  readonly host: string
  readonly mode: string
  readonly startedAt: number
  readonly heartbeat: number
}

export const CONTROL_COMMANDS = [
  'kill_switch.activate',
  'kill_switch.deactivate',
  'trading_state.set',
  'position_override.set',
  'orders.cancel_all',
  /** Cancel one order (`args`: clientOrderId, reason?); the venue's confirmation settles it. */
  'orders.cancel',
  /**
   * An operator's manual order (`args`: reason, venue, symbol, side, type market|limit, amount, price?,
   * triggerPrice?), under strategy id `manual`, through the same pre-trade checks as a strategy's.
   */
  'orders.place',
  'status',
  'shutdown',
  /** A reconciliation found discrepancies: trips the kill switch with trigger `reconciliation`. */
  'reconciliation.failed',
  /** Close positions with reducing market orders, allowed while halted (`args`: reason, strategy?, symbol?). */
  'positions.flatten',
  /** Switch a session on an exchange to another mode (`args.mode`); open orders are cancelled first. */
  'mode.set',
  /** Back to shadow from canary or live: cancel live orders, keep positions, continue in shadow. */
  'shadow.rollback',
  /** Bring orders and fills in line with the exchange (fetch open orders and recent trades). */
  'resync',
  /**
   * The rollback procedure (`sofia rollback` while a session runs): every step is carried out and audited by
   * the session. Args: `reason`, optional `targetVersion`, `strategies`.
   */
  'rollback',
  /**
   * Appends an operator's action done from another process (`registry register|promote`, `canary start`) to
   * the session's audit chain: args `type` (e.g. `registry.registered`) and `payload`; the actor is the
   * request's. The session stays the chain's single writer.
   */
  'audit.append',
] as const
export type ControlCommand = (typeof CONTROL_COMMANDS)[number]

export interface ControlRequest {
  readonly id: string
  readonly command: ControlCommand
  readonly args: Readonly<Record<string, unknown>>
  /** `operator:<name>`. */
  readonly actor: string
  readonly at: number
}

export interface ControlResponse {
  readonly id: string
  readonly ok: boolean
  readonly result?: unknown
  readonly error?: string | undefined
  readonly at: number
}

export function newLease(mode: string, now: number): Lease {
  return { pid: process.pid, host: hostname(), mode, startedAt: now, heartbeat: now }
}

/** The running session's lease, or undefined when none is alive. */
export async function liveSession(store: Store, now: number = Date.now()): Promise<Lease | undefined> {
  const lease = await store.getState<Lease>(LEASE_KEY)
  return lease !== undefined && lease !== null && now - lease.heartbeat <= LEASE_TTL_MS ? lease : undefined
}

/** Whether a lease's process is still there: on this host, by its pid; elsewhere, by its heartbeat alone. */
function holderAlive(lease: Lease): boolean {
  if (lease.host !== hostname()) return true
  try {
    process.kill(lease.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Refuses to start a second session on a store that a running session holds, naming the holder. A lease left
 * by a process that is gone (killed on this host, or silent past the TTL) does not count.
 */
export async function assertNoLiveSession(store: Store, where: string, now: number = Date.now()): Promise<void> {
  const lease = await liveSession(store, now)
  if (lease === undefined || lease.pid === process.pid || !holderAlive(lease)) return
  const age = Math.max(0, Math.round((now - lease.heartbeat) / 1000))
  throw new InputError(
    `${where} is in use by a running Sofia session (pid ${lease.pid} on ${lease.host}, mode ${lease.mode}, heartbeat ${age} s ago): stop it first, or use another --data-dir`,
  )
}

/** Leaves a request for the running session and waits for its answer. */
export async function sendRequest(
  store: Store,
  command: ControlCommand,
  args: Record<string, unknown>,
  actor: string,
  timeoutMs = 10_000,
): Promise<ControlResponse> {
  const id = randomUUID()
  const request: ControlRequest = { id, command, args, actor, at: Date.now() }
  await store.write({ state: [{ key: REQUEST_PREFIX + id, value: request }] })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const response = await store.getState<ControlResponse>(RESPONSE_PREFIX + id)
    if (response !== undefined && response !== null) {
      await store.write({ state: [{ key: RESPONSE_PREFIX + id, value: null }] })
      return response
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  // Withdraw the request so a session that comes back later does not act on a stale command.
  await store.write({ state: [{ key: REQUEST_PREFIX + id, value: null }] })
  return { id, ok: false, error: `no answer from the running session within ${timeoutMs} ms`, at: Date.now() }
}

/** Requests waiting in the store (for the session's poller). */
export function pendingRequests(state: ReadonlyMap<string, unknown>): ControlRequest[] {
  const out: ControlRequest[] = []
  for (const [key, value] of state) {
    if (key.startsWith(REQUEST_PREFIX) && value !== null && typeof value === 'object') out.push(value as ControlRequest)
  }
  return out.sort((a, b) => a.at - b.at)
}

/**
 * Executes `audit.append` in the session (its type checked by `parseCommand`): the record goes into its chain
 * under the request's actor. The payload comes from another process and is recorded as it came: its sender
 * (`controlSink`, `sofia tokens`) typed it, nothing here checks its shape.
 */
export function appendOperatorRecord<T extends AuditType>(
  persistence: AuditWriter | undefined,
  type: T,
  payload: unknown,
  actor: string,
): { readonly ok: true; readonly result: { readonly recorded: AuditType } } | { readonly ok: false; readonly error: string } {
  if (persistence === undefined) return { ok: false, error: 'audit.append: this session has no store' }
  persistence.audit(type, actor, (payload ?? null) as AuditPayload<T>)
  return { ok: true, result: { recorded: type } }
}
