/**
 * @module audit/redact
 * Keeps secrets out of the audit chain. The chain is append-only and exported for auditors, so a secret that
 * got in could never be taken out again: payloads are scrubbed before they are hashed.
 */
import { InvariantViolation } from '../model/index.js'

/** Keys whose values are never recorded. */
export const SECRET_KEY = /secret|password|api[_-]?key|token|passphrase|private/i

/** What a secret value becomes. */
export const REDACTED = '[REDACTED]'

/**
 * Returns `payload` with the value of every key matching SECRET_KEY replaced by "[REDACTED]", at any depth,
 * and the `value` of `{ key | name: <secret-like>, value }` pairs (how config changes are recorded).
 * Copy-on-write: the input is never modified, and an input without secrets is returned as is, so the common
 * case allocates nothing. Objects with a custom `toJSON` (Decimal, Date) are leaves.
 */
export function redactSecrets<T>(payload: T): T {
  return scrub(payload, 0) as T
}

// Deeper than any payload Sofia writes; a cycle would otherwise recurse forever (canonicalJson would, too).
const MAX_DEPTH = 64

function scrub(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth > MAX_DEPTH) return '[TOO DEEP]'
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      const clean = scrub(item, depth + 1)
      if (clean !== item) {
        out ??= value.slice()
        out[i] = clean
      }
    }
    return out ?? value
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value
  const obj = value as Record<string, unknown>
  const pairName = typeof obj['key'] === 'string' ? obj['key'] : typeof obj['name'] === 'string' ? obj['name'] : undefined
  let out: Record<string, unknown> | undefined
  for (const key of Object.keys(obj)) {
    const item = obj[key]
    const secret = SECRET_KEY.test(key) || (key === 'value' && pairName !== undefined && SECRET_KEY.test(pairName))
    const clean = secret ? (item === undefined ? undefined : REDACTED) : scrub(item, depth + 1)
    if (clean !== item) {
      out ??= { ...obj }
      out[key] = clean
    }
  }
  return out ?? value
}

/**
 * What `AuditLog.append` records: a plain-JSON deep copy of `payload` with secrets redacted (as
 * redactSecrets, and also inside `toJSON` results) and object keys in canonical (sorted) order, so that
 * `JSON.stringify(copy)` is the payload's canonical JSON (but see `integerKeys`). A store that writes the
 * payload column with JSON.stringify and parses it back thereby hands verification payloads it can check
 * with the native serializer; the copy also keeps later changes to the caller's object out of the record.
 * Refuses what canonicalJson refuses (non-finite numbers, functions, symbols) with InvariantViolation.
 */
export function sanitizePayload(payload: unknown): { value: unknown; integerKeys: boolean } {
  const state = { integerKeys: false }
  return { value: sanitize(payload, 0, state), integerKeys: state.integerKeys }
}

// Keys JavaScript orders numerically before all others, whatever the insertion order.
const INTEGER_KEY = /^(?:0|[1-9]\d*)$/
const isDigit = (code: number): boolean => code >= 48 && code <= 57

// Payload keys repeat from record to record: the verdict of SECRET_KEY on each is remembered (the regex
// test was a sizeable part of the cost of an append).
const secretKeys = new Map<string, boolean>()
function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key)
  if (secret === undefined) {
    secret = SECRET_KEY.test(key)
    if (secretKeys.size < 4096) secretKeys.set(key, secret)
  }
  return secret
}

function sanitize(value: unknown, depth: number, state: { integerKeys: boolean }): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw new InvariantViolation(`audit payload holds a non-finite number (${value})`)
      return value
    case 'bigint':
      return value.toString()
    case 'object': {
      if (value === null) return null
      if (depth > MAX_DEPTH) throw new InvariantViolation('audit payload is nested too deeply (a cycle?)')
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return sanitize((value as { toJSON: () => unknown }).toJSON(), depth + 1, state)
      }
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length)
        for (let i = 0; i < value.length; i++) {
          const item = sanitize(value[i], depth + 1, state)
          out[i] = item === undefined ? null : item
        }
        return out
      }
      const obj = value as Record<string, unknown>
      const pairName = typeof obj['key'] === 'string' ? obj['key'] : typeof obj['name'] === 'string' ? obj['name'] : undefined
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(obj).sort()) {
        const item = obj[key]
        if (item === undefined) continue
        if (!state.integerKeys && isDigit(key.charCodeAt(0)) && INTEGER_KEY.test(key)) state.integerKeys = true
        const secret = isSecretKey(key) || (key === 'value' && pairName !== undefined && isSecretKey(pairName))
        const clean = secret ? REDACTED : sanitize(item, depth + 1, state)
        if (clean !== undefined) out[key] = clean
      }
      return out
    }
    case 'function':
    case 'symbol':
      throw new InvariantViolation(`audit payload holds a ${typeof value}`)
  }
}
