/**
 * @module execution/client-order-id
 * Deterministic client order ids: the same (strategy, intent sequence) always gives the same id within one
 * store, so an order retried after a crash or a lost response can be looked up by id instead of being sent
 * twice. Across stores the ids differ: each carries the store's tag — its identity (random, created once and
 * kept in the store and its backups) and its restore epoch (advanced by every restore) — so a restored backup
 * or a second data directory on the same account can never send an id the account has already seen.
 * Ids fit Binance's limit (36 chars of [A-Za-z0-9_-]) and stay readable: `<strategy>-<hash>-<tag>-<seq>`.
 */
import { createHash } from 'node:crypto'

const MAX_LENGTH = 36

/** A store tag: identity (base36) followed by the restore epoch (base36). */
export function storeTag(identity: string, restoreEpoch: number): string {
  if (!/^[0-9a-z]{4,8}$/.test(identity)) throw new RangeError(`bad store identity '${identity}'`)
  if (!Number.isSafeInteger(restoreEpoch) || restoreEpoch < 0) throw new RangeError(`bad restore epoch ${restoreEpoch}`)
  return `${identity}${restoreEpoch.toString(36)}`
}

/** The id hash of each strategy seen (a SHA-256 per order cost more than the rest of the id). */
const hashes = new Map<string, string>()

function strategyHash(strategyId: string): string {
  let hash = hashes.get(strategyId)
  if (hash === undefined) {
    hash = createHash('sha256').update(strategyId).digest('hex').slice(0, 6)
    if (hashes.size >= 10_000) hashes.clear()
    hashes.set(strategyId, hash)
  }
  return hash
}

export function clientOrderId(strategyId: string, sequence: number, tag?: string): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`bad intent sequence ${sequence}`)
  const hash = strategyHash(strategyId)
  const seq = sequence.toString(36)
  const middle = tag === undefined ? hash : `${hash}-${tag}`
  const room = MAX_LENGTH - middle.length - seq.length - 2
  const slug = strategyId.replace(/[^A-Za-z0-9]/g, '').slice(0, Math.max(0, room))
  return `${slug}-${middle}-${seq}`
}

const SOFIA_ID = /^[A-Za-z0-9]*-[0-9a-f]{6}(-[0-9a-z]{5,})?-[0-9a-z]+$/

/** Whether a client order id has the shape of Sofia's ids (this store's or another's). */
export function isSofiaClientOrderId(id: string): boolean {
  return id.length <= MAX_LENGTH && SOFIA_ID.test(id)
}
