// Errors and notices the operator must see: a small store the toast list renders.
import { SharedValue, useSharedValue } from './shared-value'

export interface Toast {
  readonly id: number
  readonly kind: 'error' | 'info'
  readonly title: string
  readonly message: string
}

const toasts = new SharedValue<readonly Toast[]>([])
let next = 1

export function pushToast(kind: Toast['kind'], title: string, message: string, ttlMs = kind === 'error' ? 12_000 : 5_000): void {
  const toast = { id: next++, kind, title, message }
  toasts.set([...toasts.get().slice(-4), toast])
  setTimeout(() => dismissToast(toast.id), ttlMs)
}

export function dismissToast(id: number): void {
  toasts.set(toasts.get().filter((t) => t.id !== id))
}

/** An API failure (or anything thrown) as an error toast with its code and message. */
export function reportError(error: unknown): void {
  const e = error as { status?: unknown; code?: unknown; message?: unknown; path?: unknown }
  const code = typeof e.code === 'string' ? e.code : 'ERROR'
  const status = typeof e.status === 'number' && e.status > 0 ? `${e.status} ` : ''
  const where = typeof e.path === 'string' ? ` (${e.path.split('?')[0] ?? ''})` : ''
  pushToast('error', `${status}${code}${where}`, typeof e.message === 'string' ? e.message : String(error))
}

export function useToasts(): readonly Toast[] {
  return useSharedValue(toasts)
}
