/**
 * @module store/sqlite-integrity
 * SQLite's own structural check of a store file (`PRAGMA quick_check`, or `integrity_check`, which also checks
 * every index against its table), on the calling connection or beside it in a worker thread with its own
 * read-only connection. Either way a damaged file gives the same one-line InputError.
 */
import type Database from 'better-sqlite3'
import { InputError } from '../model/index.js'
import { sqliteWorker } from './sqlite-worker.js'

export type IntegrityLevel = 'quick' | 'full'

const pragmaOf = (level: IntegrityLevel): string => (level === 'full' ? 'integrity_check' : 'quick_check')

/** The InputError for the faults a check reported, or undefined when it said ok. */
function damage(file: string, level: IntegrityLevel, faults: readonly string[]): InputError | undefined {
  if (faults.length === 1 && faults[0] === 'ok') return undefined
  return new InputError(
    `database ${file} is damaged (PRAGMA ${pragmaOf(level)}: ${faults[0]?.replace(/\s+/g, ' ')}); nothing was read from it — restore it from a backup (sofia backup restore)`,
  )
}

const faultsOf = (rows: unknown): string[] => (rows as Record<string, string>[]).map((r) => Object.values(r)[0] ?? '')

/** Runs the check on `db` (the store's own connection) and throws the InputError of a damaged file. */
export function checkIntegrity(db: Database.Database, file: string, level: IntegrityLevel): void {
  const error = damage(file, level, faultsOf(db.pragma(`${pragmaOf(level)}(3)`)))
  if (error !== undefined) throw error
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
let db
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true })
  parentPort.postMessage({ faults: db.pragma(workerData.pragma + '(3)').map((r) => Object.values(r)[0] ?? '') })
} catch (error) {
  parentPort.postMessage({ code: error.code, message: String(error.message) })
} finally {
  db?.close()
}
`

/** A check running in a worker thread; `done` settles as `checkIntegrity` returns or throws. */
export interface BackgroundCheck {
  /**
   * Resolves when the file is sound; rejects with the InputError of a damaged file, or with SQLite's own error
   * (its `code` kept) when the check could not run.
   */
  readonly done: Promise<void>
  /** Stops the worker if it is still running (`done` then rejects: the check did not finish). */
  stop(): void
}

type WorkerAnswer = { readonly faults: string[] } | { readonly code?: string; readonly message: string }

/**
 * Starts the check of `file` in a worker thread with its own read-only connection, so that a reader can scan
 * the file meanwhile on the other cores. Whoever starts it must await `done` before acting on what it read.
 */
export function checkIntegrityInBackground(file: string, level: IntegrityLevel): BackgroundCheck {
  const job = sqliteWorker<WorkerAnswer>(WORKER_SOURCE, { file, pragma: pragmaOf(level) }, `the integrity check of ${file}`)
  const done = job.result.then((answer) => {
    if (!('faults' in answer)) throw Object.assign(new Error(answer.message), { code: answer.code })
    const error = damage(file, level, answer.faults)
    if (error !== undefined) throw error
  })
  // Rejections are for whoever awaits `done`; one nobody awaits (the opener failed first) is not unhandled.
  done.catch(() => undefined)
  return { done, stop: job.stop }
}
