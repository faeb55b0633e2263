/**
 * @module store/identity
 * A store's identity and restore epoch: what makes client order ids unique per exchange account across
 * stores. The identity is random, created once when a store first trades on an exchange, and travels with the
 * store (and its backups); the restore epoch is advanced by every restore of a backup, so a restored store
 * never re-sends an id that the store it was copied from sent after the backup was made.
 */
import { randomBytes } from 'node:crypto'
import type { Store } from './store.js'

export const STORE_IDENTITY_KEY = 'store.identity'
export const RESTORE_EPOCH_KEY = 'store.restore_epoch'

export interface StoreIdentity {
  readonly identity: string
  readonly restoreEpoch: number
}

/** A fresh identity: 5 base-36 characters (60 M values). */
function newIdentity(): string {
  const n = randomBytes(4).readUInt32BE(0) % 36 ** 5
  return n.toString(36).padStart(5, '0')
}

/** The store's identity and restore epoch, creating (and durably storing) the identity on first use. */
export async function storeIdentity(store: Store): Promise<StoreIdentity> {
  const state = await store.loadState()
  let identity = state.get(STORE_IDENTITY_KEY)
  if (typeof identity !== 'string' || identity === '') {
    identity = newIdentity()
    await store.write({ state: [{ key: STORE_IDENTITY_KEY, value: identity }] })
  }
  const epoch = state.get(RESTORE_EPOCH_KEY)
  return { identity: identity as string, restoreEpoch: typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : 0 }
}

/** Called on a store just restored from a backup: its ids from now on differ from the original's. */
export async function advanceRestoreEpoch(store: Store): Promise<number> {
  const state = await store.loadState()
  const epoch = state.get(RESTORE_EPOCH_KEY)
  const next = (typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : 0) + 1
  await store.write({ state: [{ key: RESTORE_EPOCH_KEY, value: next }] })
  return next
}
