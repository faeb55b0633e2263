import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats } from '../../../test/nats.js'
import type { OwnNats } from '../../../test/nats.js'
import { startQueueWorker } from './nats-queue.js'
import type { QueueWorker } from './nats-queue.js'

let nats: OwnNats
beforeAll(async () => {
  nats = await startNats()
})
afterAll(async () => {
  await nats?.stop()
})

describe('sweep queue on NATS', () => {
  it('workers starting at the same moment on a new queue all start (each creates the streams and the consumer, none fails)', async () => {
    // A race the distributed-sweep test met once: two workers created the queue at once and the second got
    // "subjects overlap with an existing stream" (it did not recur here in 12 rounds of 16 without the fix: the
    // server lost that race under CI load only). Sixteen workers at once, on fresh queues, twelve rounds.
    for (let round = 0; round < 12; round++) {
      const started = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => startQueueWorker({ servers: nats.url, queue: `RACE_${round}`, workerId: `w${i}`, log: () => undefined })),
      )
      const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])) as QueueWorker[]
      const failed = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))
      for (const w of workers) w.stop()
      await Promise.all(workers.map((w) => w.done))
      expect(failed, `round ${round}`).toEqual([])
    }
  }, 60_000)
})
