/**
 * @module execution/client-order-id
 * Deterministic client order ids: the same (strategy, intent sequence) always gives the same id, so an
 * order retried after a crash or a lost response can be looked up by id instead of being sent twice.
 * Ids fit Binance's limit (36 chars of [A-Za-z0-9_-]) and stay readable.
 */
import { createHash } from 'node:crypto'

const MAX_LENGTH = 36

export function clientOrderId(strategyId: string, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`bad intent sequence ${sequence}`)
  const hash = createHash('sha256').update(strategyId).digest('hex').slice(0, 6)
  const seq = sequence.toString(36)
  const room = MAX_LENGTH - hash.length - seq.length - 2
  const slug = strategyId.replace(/[^A-Za-z0-9]/g, '').slice(0, Math.max(0, room))
  return `${slug}-${hash}-${seq}`
}
