/**
 * @module venues/event-queue
 * What a live feed hands its session: every market event its streams pushed since the last batch, as one
 * batch, waiting while there is none. The exchange's feed (CcxtFeed) and the cluster's (NatsFeed) share it.
 */
import type { MarketEvent } from '../model/index.js'

export class EventQueue {
  private readonly queue: MarketEvent[] = []
  private wake: (() => void) | undefined
  private closed = false
  /** Events handed out in batches so far. */
  delivered = 0

  push(event: MarketEvent): void {
    this.queue.push(event)
    this.wake?.()
  }

  /** Ends `batches()` (what is still queued is not handed out). */
  close(): void {
    this.closed = true
    this.wake?.()
  }

  async *batches(): AsyncGenerator<readonly MarketEvent[], void, undefined> {
    while (!this.closed) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve))
        this.wake = undefined
        continue
      }
      const batch = this.queue.splice(0)
      this.delivered += batch.length
      yield batch
    }
  }
}
