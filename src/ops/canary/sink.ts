/**
 * @module ops/canary/sink
 * Where the canary, registry and rollback write: store rows plus audit records. The audit chain has one
 * writer at a time, so there are two sinks: `storeSink` when no session runs (a fresh AuditLog continues the
 * stored head and the records go in the same atomic batch as the rows) and `sessionSink` inside a running
 * session (the records go through the session's persistence, which owns the chain). A CLI command while a
 * session runs in another process uses `controlSink`: it writes the rows and asks the session, through the
 * control channel, to append the records to its chain.
 */
import { writeAudited } from '../../audit/index.js'
import type { Store, WriteBatch } from '../../store/index.js'
import type { Persistence } from '../../system/index.js'
import { sendRequest } from '../../system/control.js'
import type { AuditEntry } from '../../audit/index.js'

/** A record to append: a type of the audit vocabulary with its payload (so a wrong shape does not compile). */
export type { AuditEntry }

export interface AuditSink {
  readonly store: Store
  /** Engine time (session) or wall time (CLI), ms. */
  now(): number
  /** Writes the rows and the audit records (atomically where the sink can). */
  commit(batch: Omit<WriteBatch, 'audit'>, records: readonly AuditEntry[]): Promise<void>
  /** Appends an audit record now, written with the next commit or flush. */
  audit(entry: AuditEntry): void
  /** Makes everything recorded so far durable. */
  flush(): Promise<void>
  /** Whether records reach the audit chain (false: another process owns it). */
  readonly audited: boolean
  /** Whether `commit` finishes before it returns (a session on SQLite or memory): callers need not chain. */
  readonly synchronous: boolean
}

function hasRows(batch: Omit<WriteBatch, 'audit'>): boolean {
  return Object.values(batch).some((v) => Array.isArray(v) && v.length > 0)
}

/** Direct to the store (no session running): rows and records in one batch. */
export function storeSink(store: Store, now: () => number = Date.now): AuditSink {
  const pending: AuditEntry[] = []
  const write = async (batch: Omit<WriteBatch, 'audit'>, records: readonly AuditEntry[]): Promise<void> => {
    const all = [...pending.splice(0), ...records]
    if (all.length === 0 && !hasRows(batch)) return
    const ts = now()
    await writeAudited(store, batch, (log) => {
      for (const r of all) log.record(r.type, r.actor, r.payload, ts)
    })
  }
  return {
    store,
    now,
    audited: true,
    synchronous: false,
    commit: write,
    audit: (entry) => void pending.push(entry),
    flush: () => write({}, []),
  }
}

/** Inside a session: rows straight to the store, records through the session's persistence. */
export function sessionSink(store: Store, persistence: Persistence, now: () => number): AuditSink {
  const audit = (entry: AuditEntry): void => persistence.audit(entry.type, entry.actor, entry.payload)
  const writeSync = store.writeSync?.bind(store)
  const commit: AuditSink['commit'] =
    writeSync === undefined
      ? async (batch, records) => {
          if (hasRows(batch)) await store.write(batch)
          for (const r of records) audit(r)
          await persistence.flush()
        }
      : // SQLite and memory: written at once, so records carry the engine time of the decision they describe.
        (batch, records) => {
          try {
            if (hasRows(batch)) writeSync(batch)
            for (const r of records) audit(r)
            const b = persistence.barrier()
            return b === undefined ? Promise.resolve() : b
          } catch (error) {
            return Promise.reject(error as Error)
          }
        }
  return {
    store,
    now,
    audited: true,
    synchronous: writeSync !== undefined,
    commit,
    audit,
    flush: () => persistence.flush(),
  }
}

/**
 * A session in another process owns the chain: rows are written, audit records are not (the session records
 * the safety steps it carries out itself).
 */
export function unauditedSink(store: Store, now: () => number = Date.now): AuditSink {
  return {
    store,
    now,
    audited: false,
    synchronous: false,
    commit: async (batch) => {
      if (hasRows(batch)) await store.write(batch)
    },
    audit: () => undefined,
    flush: () => Promise.resolve(),
  }
}

/**
 * From another process while a session holds the store (`sofia registry register` during `sofia run`): the
 * rows are written here, then each record is appended by the session (`audit.append` on the control
 * channel), which stays the chain's single writer. A session that does not answer is an error: the action
 * is done but unaudited, and the operator must know.
 */
export function controlSink(store: Store, now: () => number = Date.now, timeoutMs = 10_000): AuditSink {
  const pending: AuditEntry[] = []
  const send = async (records: readonly AuditEntry[]): Promise<void> => {
    for (const r of records) {
      const answer = await sendRequest(store, 'audit.append', { type: r.type, payload: r.payload }, r.actor, timeoutMs)
      if (!answer.ok) throw new Error(`the running session did not record ${r.type}: ${answer.error ?? 'refused'}`)
    }
  }
  return {
    store,
    now,
    audited: true,
    synchronous: false,
    commit: async (batch, records) => {
      if (hasRows(batch)) await store.write(batch)
      await send([...pending.splice(0), ...records])
    },
    audit: (entry) => void pending.push(entry),
    flush: () => send(pending.splice(0)),
  }
}
