/**
 * @module data/merge-sources
 * K-way merge of market sources by timestamp, so a backtest can replay several files (venues, symbols,
 * kinds) as one time-ordered stream. Ties keep argument order (stable), which keeps replays deterministic.
 */
import type { MarketEvent } from '../model/index.js'
import { BinaryHeap } from '../engine/index.js'
import type { MarketSource } from '../engine/index.js'
import { DEFAULT_BATCH_SIZE } from './open-market-data.js'

interface Cursor {
  readonly order: number
  readonly it: AsyncIterator<readonly MarketEvent[]>
  batch: readonly MarketEvent[]
  i: number
}

/** Earlier head first; on equal timestamps the earlier argument. */
function before(a: Cursor, b: Cursor): boolean {
  const ta = a.batch[a.i]!.timestamp
  const tb = b.batch[b.i]!.timestamp
  return ta < tb || (ta === tb && a.order < b.order)
}

/** Moves the cursor to a non-empty batch; false when the source is done. */
async function fill(c: Cursor): Promise<boolean> {
  while (c.i >= c.batch.length) {
    const r = await c.it.next()
    if (r.done === true) return false
    c.batch = r.value
    c.i = 0
  }
  return true
}

/**
 * Merges sources into one time-ordered source of batches of about `batchSize`. Each input must itself be
 * in time order. Runs of events from one source are copied without heap work until another source's head
 * is due, so merging a few large sources costs little more than reading them.
 */
export function mergeSources(sources: readonly MarketSource[], batchSize = DEFAULT_BATCH_SIZE): MarketSource {
  return {
    async *[Symbol.asyncIterator]() {
      const cursors: Cursor[] = sources.map((s, order) => ({ order, it: s[Symbol.asyncIterator](), batch: [], i: 0 }))
      const heap = new BinaryHeap<Cursor>(before)
      try {
        for (const c of cursors) if (await fill(c)) heap.push(c)
        let out: MarketEvent[] = []
        for (let top = heap.pop(); top !== undefined; top = heap.pop()) {
          // The next due head among the others bounds how far `top` may run.
          const next = heap.peek()
          const limit = next === undefined ? Number.POSITIVE_INFINITY : next.batch[next.i]!.timestamp
          const topWinsTies = next === undefined || top.order < next.order
          for (;;) {
            const batch = top.batch
            let i = top.i
            while (i < batch.length) {
              const e = batch[i]!
              if (e.timestamp > limit || (e.timestamp === limit && !topWinsTies)) break
              out.push(e)
              i++
              if (out.length >= batchSize) {
                top.i = i
                yield out
                out = []
              }
            }
            top.i = i
            if (i < batch.length) break
            if (!(await fill(top))) break
          }
          if (top.i < top.batch.length) heap.push(top)
        }
        if (out.length > 0) yield out
      } finally {
        // Close sources still open (the consumer stopped early, or one source threw).
        await Promise.all(cursors.map((c) => c.it.return?.()))
      }
    },
  }
}
