/**
 * @module system/listeners
 * Listeners of one kind of event (kill-switch changes, state changes, notices of trips and shutdowns). Each is
 * told on its own: one that throws or rejects is logged and keeps no other from hearing, and the record of
 * the event never depends on them. Work a listener returns (a notifier's delivery) is tracked, so a shutdown
 * can wait for it. The safety layer's alerts are raised here too, without repeating a standing one.
 */
import type { AuditWriter } from '../audit/index.js'

export class Listeners<E> {
  private readonly list: ((e: E) => unknown)[] = []
  private readonly pending = new Set<Promise<unknown>>()

  constructor(
    private readonly what: string,
    private readonly log?: (line: string) => void,
  ) {}

  /** Adds a listener; returns its removal. */
  add(listener: (e: E) => unknown): () => void {
    this.list.push(listener)
    return () => {
      const i = this.list.indexOf(listener)
      if (i >= 0) this.list.splice(i, 1)
    }
  }

  tell(e: E): void {
    for (const listener of [...this.list]) {
      try {
        const r = listener(e)
        if (r instanceof Promise) {
          const tracked: Promise<unknown> = r.catch((error: unknown) => this.failed(error))
          this.pending.add(tracked)
          void tracked.finally(() => this.pending.delete(tracked))
        }
      } catch (error) {
        this.failed(error)
      }
    }
  }

  /** Waits until every listener's work has settled, at most `timeoutMs`; returns whether all did. */
  async settle(timeoutMs: number): Promise<boolean> {
    if (this.pending.size === 0) return true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const all = Promise.all([...this.pending]).then(() => true)
    try {
      return await Promise.race([all, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private failed(error: unknown): void {
    this.log?.(`${this.what} listener failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}

export interface SafetyAlert {
  readonly at: number
  readonly name: string
  readonly level: string
  readonly detail: string
}

/**
 * The safety layer's alerts: each audited, the last 400–500 kept for the API. A standing condition is raised
 * again only when its level changes or after an hour of engine time, unless it must always be (a trip).
 */
export class SafetyAlerts {
  private readonly list: SafetyAlert[] = []
  /** Last level raised per alert name. */
  private readonly raised = new Map<string, { level: string; at: number }>()

  constructor(
    private readonly clock: { now(): number },
    private readonly persistence: AuditWriter<'alert'> | undefined,
  ) {}

  get recent(): readonly SafetyAlert[] {
    return this.list
  }

  /** Returns whether it was raised (false: the same level was raised within the hour). */
  raise(name: string, level: string, detail: string, always = false): boolean {
    const at = this.clock.now()
    const last = this.raised.get(name)
    if (!always && last !== undefined && last.level === level && at - last.at < 3_600_000) return false
    this.raised.set(name, { level, at })
    this.list.push({ at, name, level, detail })
    if (this.list.length > 500) this.list.splice(0, 100)
    this.persistence?.audit('alert', 'system', { name, level, detail })
    return true
  }
}
