// The dashboard's only way out: the operator API on its own origin, with the session's bearer token.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { SharedValue, useSharedValue } from './shared-value'
import { reportError } from './toasts'

const TOKEN_KEY = 'sofia.token'

/** An error answer of the API (`{error, code}`), or a network failure (status 0). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message)
    this.name = new.target.name
  }
}

export type Role = 'viewer' | 'operator' | 'admin'
export interface WhoAmI {
  readonly name: string
  readonly role: Role
  readonly actor: string
}

let token: string | null = sessionStorage.getItem(TOKEN_KEY)
let onUnauthorized: (failure: ApiFailure) => void = () => undefined

export function currentToken(): string | null {
  return token
}

/** Kept for this tab only (sessionStorage): closing the tab logs out. */
export function setToken(value: string | null): void {
  token = value
  if (value === null) sessionStorage.removeItem(TOKEN_KEY)
  else sessionStorage.setItem(TOKEN_KEY, value)
}

export function handleUnauthorized(fn: (failure: ApiFailure) => void): void {
  onUnauthorized = fn
}

/*
 * Whether the server answers: down since the first request (or stream) that could not reach it, up again at
 * the first answer of any kind. One state for the whole page, so a dead server is said once, not per poll.
 */
const downSince = new SharedValue<number | undefined>(undefined)

export function serverUnreachable(): void {
  if (downSince.get() === undefined) downSince.set(Date.now())
}

export function serverAnswered(): void {
  if (downSince.get() !== undefined) downSince.set(undefined)
}

/** When the server stopped answering (ms), or undefined while it answers. */
export function useServerDownSince(): number | undefined {
  return useSharedValue(downSince)
}

export async function api<T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown; token?: string } = {}): Promise<T> {
  const bearer = init.token ?? token
  const headers: Record<string, string> = { accept: 'application/json' }
  if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) })
  } catch (error) {
    serverUnreachable()
    throw new ApiFailure(0, 'NETWORK', `cannot reach the API: ${error instanceof Error ? error.message : String(error)}`, path)
  }
  serverAnswered()
  const text = await res.text()
  let json: unknown = undefined
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    // not JSON: reported below with the status
  }
  if (!res.ok) {
    const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>
    const failure = new ApiFailure(
      res.status,
      typeof body['code'] === 'string' ? body['code'] : `HTTP_${res.status}`,
      typeof body['error'] === 'string' ? body['error'] : text.slice(0, 200) || res.statusText,
      path,
      body,
    )
    if (res.status === 401 && init.token === undefined) onUnauthorized(failure)
    throw failure
  }
  return json as T
}

export interface Resource<T> {
  readonly data: T | undefined
  readonly error: ApiFailure | undefined
  readonly loading: boolean
  reload(): void
}

/**
 * A GET kept fresh every `refreshMs` (and on `reload`). A failure shows where the data would be and, once
 * per new error code, as a toast; it is never dropped silently.
 */
export function useResource<T>(path: string | null, refreshMs?: number, expectedStatuses: readonly number[] = []): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<ApiFailure | undefined>(undefined)
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const lastCode = useRef<string | undefined>(undefined)
  const reload = useCallback(() => setTick((t) => t + 1), [])

  useEffect(() => {
    if (path === null) return
    let alive = true
    setLoading(true)
    api<T>(path).then(
      (d) => {
        if (!alive) return
        setData(d)
        setError(undefined)
        lastCode.current = undefined
        setLoading(false)
      },
      (e: unknown) => {
        if (!alive) return
        const failure = e instanceof ApiFailure ? e : new ApiFailure(0, 'CLIENT', String(e), path)
        setError(failure)
        setLoading(false)
        // An expected answer (e.g. 404 for "no canary") is shown by the page, not as an error toast; a server
        // that cannot be reached is said once, by the page's banner.
        if (lastCode.current !== failure.code && !expectedStatuses.includes(failure.status) && failure.code !== 'NETWORK') reportError(failure)
        lastCode.current = failure.code
      },
    )
    return () => {
      alive = false
    }
  }, [path, tick])

  useEffect(() => {
    if (refreshMs === undefined || path === null) return
    const t = setInterval(reload, refreshMs)
    return () => clearInterval(t)
  }, [path, refreshMs, reload])

  return { data, error, loading, reload }
}
