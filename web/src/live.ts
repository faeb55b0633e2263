// The live feed (GET /events, server-sent events). Events are buffered and folded into one snapshot at most
// every LIVE_INTERVAL_MS, so a burst of hundreds of events a second costs a few renders, not hundreds.
import type { ApiAlert, FillEvent, HelloEvent, KillSwitchState, StatusTick } from '../../src/api/wire'
import { serverAnswered, serverUnreachable } from './api'
import { SharedValue, useSharedValue } from './shared-value'

const LIVE_INTERVAL_MS = 250
const KEEP = 50

export interface LiveState {
  readonly connected: boolean
  /** Every event received on this connection (hello and load events included). */
  readonly events: number
  readonly orderEvents: number
  readonly loadEvents: number
  readonly status: StatusTick | undefined
  /** (time, equity) of the status ticks, for the equity curve. */
  readonly equity: readonly (readonly [number, number])[]
  readonly fills: readonly FillEvent[]
  readonly alerts: readonly ApiAlert[]
  /** From the `kill_switch` event, or the `hello` event's (without the configured mode). */
  readonly killSwitch: KillSwitchState | undefined
  /** Bumped on every kill switch change, order or fill: views refetch what they list. */
  readonly version: number
}

const EMPTY: LiveState = { connected: false, events: 0, orderEvents: 0, loadEvents: 0, status: undefined, equity: [], fills: [], alerts: [], killSwitch: undefined, version: 0 }
const MAX_POINTS = 3_600

const live = new SharedValue<LiveState>(EMPTY)
let source: EventSource | undefined
/** Bumped by every connect and disconnect: a stale reconnect sees it changed and gives up. */
let connection = 0
let retry: ReturnType<typeof setTimeout> | undefined
const RECONNECT_MS = 2_000
let pending: { type: string; data: unknown }[] = []
let timer: ReturnType<typeof setTimeout> | undefined

function fold(): void {
  timer = undefined
  const batch = pending
  pending = []
  let s = live.get()
  let fills = s.fills
  let alerts = s.alerts
  let equity = s.equity
  let { events, orderEvents, loadEvents, version, status, killSwitch } = s
  for (const e of batch) {
    events++
    switch (e.type) {
      case 'load':
        loadEvents++
        break
      case 'status': {
        status = e.data as StatusTick
        const eq = status.equity === undefined ? Number.NaN : Number(status.equity)
        if (Number.isFinite(eq)) equity = [...equity.slice(-(MAX_POINTS - 1)), [status.at / 1000, eq] as const]
        break
      }
      case 'order':
        orderEvents++
        version++
        break
      case 'fill':
        fills = [e.data as FillEvent, ...fills].slice(0, KEEP)
        version++
        break
      case 'alert':
        alerts = [e.data as ApiAlert, ...alerts].slice(0, KEEP)
        break
      case 'kill_switch':
        killSwitch = e.data as KillSwitchState
        version++
        break
      case 'hello': {
        const hello = e.data as Partial<HelloEvent>
        if (hello.killSwitch !== undefined) killSwitch = hello.killSwitch
        break
      }
    }
  }
  s = { ...s, events, orderEvents, loadEvents, version, status, killSwitch, fills, alerts, equity }
  live.set(s)
}

function enqueue(type: string, data: unknown): void {
  pending.push({ type, data })
  timer ??= setTimeout(fold, LIVE_INTERVAL_MS)
}

function setConnected(connected: boolean): void {
  if (live.get().connected !== connected) live.set({ ...live.get(), connected })
}

/**
 * Opens the stream. EventSource cannot send headers, and a token in a URL would be logged: each connection
 * trades the token for a single-use ticket (POST /events/ticket) and opens /events?ticket=…. A dropped
 * stream is reopened with a new ticket (the browser's own retry would reuse the spent one).
 */
export function connectLive(token: string): void {
  disconnectLive()
  const generation = ++connection
  const open = async (): Promise<void> => {
    let ticket: string
    try {
      const res = await fetch('/events/ticket', { method: 'POST', headers: { authorization: `Bearer ${token}` } })
      if (!res.ok) throw new Error(`ticket: HTTP ${res.status}`)
      ticket = ((await res.json()) as { ticket: string }).ticket
    } catch (error) {
      if (error instanceof TypeError) serverUnreachable() // fetch itself failed: no answer at all
      if (generation === connection) retry = setTimeout(() => void open(), RECONNECT_MS)
      return
    }
    serverAnswered()
    if (generation !== connection) return
    const es = new EventSource(`/events?ticket=${encodeURIComponent(ticket)}`)
    source = es
    es.onopen = () => {
      serverAnswered()
      setConnected(true)
    }
    es.onerror = () => {
      // The stream dropped: the server is gone until the next answer (a new ticket, or any request).
      if (live.get().connected) serverUnreachable()
      setConnected(false)
      es.close()
      if (generation === connection) retry = setTimeout(() => void open(), RECONNECT_MS)
    }
    listen(es)
  }
  void open()
}

function listen(es: EventSource): void {
  for (const type of ['hello', 'status', 'order', 'fill', 'alert', 'kill_switch', 'load']) {
    es.addEventListener(type, (ev) => {
      let data: unknown
      try {
        data = JSON.parse((ev as MessageEvent<string>).data)
      } catch {
        return
      }
      enqueue(type, data)
    })
  }
}

export function disconnectLive(): void {
  connection++
  if (retry !== undefined) clearTimeout(retry)
  retry = undefined
  source?.close()
  source = undefined
  if (timer !== undefined) clearTimeout(timer)
  timer = undefined
  pending = []
  live.set(EMPTY)
}

export function useLive(): LiveState {
  return useSharedValue(live)
}
