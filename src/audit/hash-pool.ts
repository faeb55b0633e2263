/**
 * @module audit/hash-pool
 * Worker threads that check chain hashes in chunks. A record's hash depends only on its own prevHash and
 * body, so hash checks are independent of one another and can run beside the (sequential) seq, link and
 * body checks: on a 2-core machine that roughly doubles verification speed.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

// Inline source (evaluated as CommonJS) so the pool works the same from TypeScript sources under vitest and
// from the compiled dist/. It must hash exactly as record.ts's chainHash does.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const crypto = require('node:crypto')
const hash = typeof crypto.hash === 'function'
  ? (prev, body) => crypto.hash('sha256', prev + body, 'hex')
  : (prev, body) => crypto.createHash('sha256').update(prev).update(body).digest('hex')
parentPort.on('message', ({ id, prev, bodies, hashes }) => {
  for (let i = 0; i < bodies.length; i++) {
    const computed = hash(prev[i], bodies[i])
    if (computed !== hashes[i]) {
      parentPort.postMessage({ id, bad: i, computed })
      return
    }
  }
  parentPort.postMessage({ id, bad: -1 })
})
`

/** The first record of a chunk whose hash is wrong (`bad` = -1 when all are right). */
export interface HashCheck {
  readonly bad: number
  readonly computed?: string
}

interface Waiter {
  resolve(result: HashCheck): void
  reject(error: unknown): void
}

/** Worker count that leaves one core to the thread reading and link-checking records. */
export function defaultHashWorkers(): number {
  const cores = availableParallelism()
  return cores > 1 ? cores - 1 : 0
}

export class HashPool {
  readonly #workers: Worker[] = []
  readonly #waiting = new Map<number, Waiter>()
  #nextId = 0
  #failed: unknown

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true })
      worker.on('message', (m: { id: number; bad: number; computed?: string }) => {
        const waiter = this.#waiting.get(m.id)
        this.#waiting.delete(m.id)
        waiter?.resolve(m.computed === undefined ? { bad: m.bad } : { bad: m.bad, computed: m.computed })
      })
      worker.on('error', (error) => this.#fail(error))
      this.#workers.push(worker)
    }
  }

  /** Checks `hashes[i] === SHA-256(prev[i] ‖ bodies[i])` for every i, on the next worker in turn. */
  check(prev: readonly string[], bodies: readonly string[], hashes: readonly string[]): Promise<HashCheck> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed as Error)
    const id = this.#nextId++
    const worker = this.#workers[id % this.#workers.length] as Worker
    return new Promise<HashCheck>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
      worker.postMessage({ id, prev, bodies, hashes })
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()))
    this.#fail(new Error('hash pool closed'))
  }

  #fail(error: unknown): void {
    this.#failed ??= error
    for (const waiter of this.#waiting.values()) waiter.reject(error)
    this.#waiting.clear()
  }
}
