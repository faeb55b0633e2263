// Errors and notices the operator must see: a small store the toast list renders.
import { useEffect, useState } from 'preact/hooks'

export interface Toast {
  readonly id: number
  readonly kind: 'error' | 'info'
  readonly title: string
  readonly message: string
}

let toasts: Toast[] = []
let next = 1
const listeners = new Set<(t: readonly Toast[]) => void>()

function emit(): void {
  for (const l of listeners) l(toasts)
}

export function pushToast(kind: Toast['kind'], title: string, message: string, ttlMs = kind === 'error' ? 12_000 : 5_000): void {
  const toast = { id: next++, kind, title, message }
  toasts = [...toasts.slice(-4), toast]
  emit()
  setTimeout(() => dismissToast(toast.id), ttlMs)
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id)
  emit()
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
  const [list, setList] = useState<readonly Toast[]>(toasts)
  useEffect(() => {
    listeners.add(setList)
    return () => {
      listeners.delete(setList)
    }
  }, [])
  return list
}
