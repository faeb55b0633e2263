/**
 * @module store/sqlite-worker
 * One job on a SQLite file in a worker thread, with a read-only connection of its own: the store's integrity
 * check beside a reader, and the parts of an audit-chain scan. The job is CommonJS source text (it runs the same
 * under vitest and from dist/); it finds better-sqlite3 at `workerData.driver`, the module this one loads,
 * wherever Sofia is installed, and answers with one message.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3')

export interface SqliteWorker<T> {
  /** The job's one message; rejects if the worker fails or exits without answering. */
  readonly result: Promise<T>
  /** Stops the worker if it is still running (`result` then rejects). */
  stop(): void
}

/** Starts `source` in a worker thread with `data` (and `driver`) as its workerData; `what` names it in errors. */
export function sqliteWorker<T>(source: string, data: Readonly<Record<string, unknown>>, what: string): SqliteWorker<T> {
  const worker = new Worker(source, { eval: true, workerData: { ...data, driver: DRIVER } })
  const result = new Promise<T>((resolve, reject) => {
    let answer: { readonly value: T } | undefined
    worker.once('message', (m: T) => {
      answer = { value: m }
    })
    worker.once('error', reject)
    worker.once('exit', (code) => {
      if (answer !== undefined) resolve(answer.value)
      else reject(new Error(`${what} exited with code ${code} before it answered`))
    })
  })
  return {
    result,
    stop: () => {
      void worker.terminate()
    },
  }
}
