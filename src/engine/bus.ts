/**
 * @module engine/bus
 * A synchronous, typed publish/subscribe bus. Handlers run in subscription order, so wiring order is
 * behaviour: the ledger subscribes before strategies and sees every fill first.
 */

export type Handler<E> = (event: E) => void

/** Topic → event type map for one bus. */
export class EventBus<M extends object> {
  private readonly handlers = new Map<keyof M, Handler<never>[]>()

  /** Subscribes; returns an unsubscribe function. */
  on<K extends keyof M>(topic: K, handler: Handler<M[K]>): () => void {
    let list = this.handlers.get(topic)
    if (list === undefined) {
      list = []
      this.handlers.set(topic, list)
    }
    list.push(handler as Handler<never>)
    return () => {
      const current = this.handlers.get(topic)
      if (current) this.handlers.set(topic, current.filter((h) => h !== handler))
    }
  }

  publish<K extends keyof M>(topic: K, event: M[K]): void {
    const list = this.handlers.get(topic) as Handler<M[K]>[] | undefined
    if (list === undefined) return
    for (let i = 0; i < list.length; i++) list[i]!(event)
  }

  hasSubscribers(topic: keyof M): boolean {
    return (this.handlers.get(topic)?.length ?? 0) > 0
  }
}
