/**
 * @module api/client
 * How the CLI reaches a running `sofia serve` over HTTP: the server records its address in the store
 * (`api.endpoint`) while it runs; with a token in `SOFIA_TOKEN`, operator commands go through the API (and
 * are audited under the token's name) instead of the store's control channel.
 */
import type { Store } from '../store/index.js'
import { liveSession } from '../system/index.js'
import type { ControlCommand, WireResult } from '../system/index.js'

export const API_ENDPOINT_KEY = 'api.endpoint'

export interface ApiEndpoint {
  readonly url: string
  readonly pid: number
  readonly startedAt: number
}

/** The API of the live session, when that session serves one. */
export async function runningApi(store: Store, now: number = Date.now()): Promise<ApiEndpoint | undefined> {
  const endpoint = await store.getState<ApiEndpoint>(API_ENDPOINT_KEY)
  if (endpoint === undefined || endpoint === null || typeof endpoint.url !== 'string') return undefined
  const lease = await liveSession(store, now)
  return lease !== undefined && lease.pid === endpoint.pid ? endpoint : undefined
}

export interface ApiResponse {
  readonly status: number
  readonly body: unknown
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResponse> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON (metrics): kept as text
    }
    return { status: res.status, body: parsed }
  }
}

/** The route of each operator command that has one (the others go through the control channel). */
const ROUTES: Partial<Record<ControlCommand, (args: Record<string, unknown>, reason: string | undefined) => Record<string, unknown>>> = {
  'kill_switch.activate': (_args, reason) => ({ reason: reason ?? '' }),
  'kill_switch.deactivate': (args, reason) => ({
    reason: reason ?? '',
    ...(args['clearsReconciliation'] === true ? { clearsReconciliation: true } : {}),
    ...(args['acknowledgeLoss'] === true ? { acknowledgeLoss: true } : {}),
  }),
  'orders.cancel_all': (_args, reason) => (reason !== undefined ? { reason } : {}),
  'trading_state.set': (args) => ({ ...args }),
  'position_override.set': (args) => ({ ...args }),
  'shadow.rollback': (_args, reason) => (reason !== undefined ? { reason } : {}),
  'positions.flatten': (args) => ({ ...args }),
}
const PATHS: Partial<Record<ControlCommand, string>> = {
  'kill_switch.activate': '/kill-switch/activate',
  'kill_switch.deactivate': '/kill-switch/deactivate',
  'orders.cancel_all': '/orders/cancel-all',
  'trading_state.set': '/trading-state',
  'position_override.set': '/position-override',
  'shadow.rollback': '/shadow/rollback',
  'positions.flatten': '/positions/flatten',
}

function route(command: ControlCommand, args: Record<string, unknown>): { path: string; body: Record<string, unknown> } | undefined {
  const body = ROUTES[command]
  const path = PATHS[command]
  if (body === undefined || path === undefined) return undefined
  return { path, body: body(args, typeof args['reason'] === 'string' ? args['reason'] : undefined) }
}

/**
 * Runs an operator command through the API. Undefined when the command has no route or the server cannot
 * be reached (the caller falls back to the control channel); a refusal by the server is a result.
 */
export async function executeViaApi(client: ApiClient, command: ControlCommand, args: Record<string, unknown>): Promise<WireResult | undefined> {
  const r = route(command, args)
  if (r === undefined) return undefined
  let res: ApiResponse
  try {
    res = await client.request('POST', r.path, r.body)
  } catch {
    return undefined
  }
  if (res.status >= 200 && res.status < 300) return { ok: true, result: res.body, via: 'api' }
  const body = (res.body ?? {}) as { error?: unknown; code?: unknown }
  const error = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`
  return { ok: false, error: `${error}${typeof body.code === 'string' ? ` (${body.code}, via the API)` : ''}`, via: 'api' }
}
