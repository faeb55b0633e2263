/**
 * @module audit/record.test
 * Canonical JSON is what gets hashed: one value, one text, whatever the key order.
 */
import { describe, expect, it } from 'vitest'
import { Decimal, InvariantViolation } from '../model/index.js'
import { canonicalJson, chainHash, GENESIS_HASH, recordBody } from './record.js'
import { createHash } from 'node:crypto'

describe('canonicalJson', () => {
  it.each([
    ['sorts keys', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['sorts nested keys', { z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null }, '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}'],
    ['keeps array order', [3, 1, 2], '[3,1,2]'],
    ['drops undefined members, nulls undefined items', { a: undefined, b: [undefined] }, '{"b":[null]}'],
    ['writes through toJSON', { price: new Decimal('1.50'), at: new Date(0) }, '{"at":"1970-01-01T00:00:00.000Z","price":"1.5"}'],
    ['writes bigint as a string', { n: 12345678901234567890n }, '{"n":"12345678901234567890"}'],
    ['escapes strings', { 'k"': 'a\nb\u0001' }, '{"k\\"":"a\\nb\\u0001"}'],
    ['sorts integer-like keys as text', { 10: 'a', 9: 'b' }, '{"10":"a","9":"b"}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected)
  })

  it.each([NaN, Infinity, -Infinity])('refuses %s', (n) => {
    expect(() => canonicalJson({ x: n })).toThrow(InvariantViolation)
  })

  it('refuses functions and symbols', () => {
    expect(() => canonicalJson({ f: () => 1 })).toThrow(InvariantViolation)
    expect(() => canonicalJson([Symbol('s')])).toThrow(InvariantViolation)
  })

  it('gives one text for one value whatever the insertion order', () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }))
  })
})

describe('record body and hash', () => {
  it('orders the body members and hashes prevHash ‖ body with SHA-256', () => {
    const body = recordBody({ seq: 1, ts: 5, type: 't', actor: 'system', payload: { x: 1 } })
    expect(body).toBe('{"actor":"system","payload":{"x":1},"seq":1,"ts":5,"type":"t"}')
    const expected = createHash('sha256').update(GENESIS_HASH + body).digest('hex')
    expect(chainHash(GENESIS_HASH, body)).toBe(expected)
  })
})

/**
 * Canonical JSON by another road, the reference for byte-for-byte equality: leaves are the platform's own
 * JSON.stringify (bigints as their decimal string; what JSON cannot hold is refused), containers map and join.
 */
function referenceCanonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(String(value))
  if (typeof value === 'object' && value !== null) return referenceContainerJson(value)
  const leaf = typeof value === 'number' && !Number.isFinite(value) ? undefined : (JSON.stringify(value) as string | undefined)
  if (leaf === undefined) throw new InvariantViolation(`holds ${String(value)}`)
  return leaf
}

/** An object through its toJSON, an array in order (undefined as null), a plain object by sorted keys. */
function referenceContainerJson(value: object): string {
  const withToJson = value as { toJSON?: () => unknown }
  if (typeof withToJson.toJSON === 'function') return referenceCanonicalJson(withToJson.toJSON())
  if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? 'null' : referenceCanonicalJson(v))).join(',')}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceCanonicalJson(obj[k])}`).join(',')}}`
}

/** A seeded generator of nested payloads: every JSON type, awkward strings and keys, toJSON leaves, bigint. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 7 : 10))
  const strings = ['', 'a', 'ünïcødé ✓', 'quote " and \\ backslash', 'line\nbreak\u0001', '\ud83d\ude00', '10', '-0']
  const text = (): string => strings[Math.floor(next() * strings.length)] ?? ''
  switch (pick) {
    case 0:
      return null
    case 1:
      return next() < 0.5
    case 2:
      return [0, -0, 1.5, -1e21, 1e-7, 123456789012345, Number.MAX_SAFE_INTEGER][Math.floor(next() * 7)]
    case 3:
      return text()
    case 4:
      return next() < 0.5 ? new Decimal((next() * 1e6).toFixed(4)) : BigInt(Math.floor(next() * 1e9)) * 1_000_000_007n
    case 5:
      return undefined
    case 6:
      return new Date(Math.floor(next() * 2e12))
    case 7:
    case 8: {
      const out: Record<string, unknown> = {}
      const n = Math.floor(next() * 6)
      for (let i = 0; i < n; i++) out[next() < 0.3 ? String(Math.floor(next() * 20)) : `${text()}${i}`] = randomValue(next, depth + 1)
      return out
    }
    default:
      return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1))
  }
}

describe('canonicalJson against the reference implementation', () => {
  it('writes the same bytes for 5,000 random nested payloads', () => {
    let seed = 42
    // Mulberry32: deterministic, so a failure can be replayed.
    const next = (): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = seed
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    let objects = 0
    for (let i = 0; i < 5000; i++) {
      const payload = { root: randomValue(next, 0), i }
      const expected = referenceCanonicalJson(payload)
      expect(canonicalJson(payload)).toBe(expected)
      const r = { seq: i + 1, ts: 1_700_000_000_000 + i, type: 'order.submitted', actor: 'strategy:ö', payload }
      expect(recordBody(r)).toBe(referenceCanonicalJson(r))
      if (expected.includes('{"')) objects++
    }
    expect(objects).toBeGreaterThan(1000)
  })

  it('writes a record without payload, or with odd columns, as the generic form does', () => {
    const odd = [
      { seq: 1, ts: 2, type: 't', actor: 'a', payload: undefined },
      { seq: 1, ts: 2, type: 't', actor: 'a', payload: null },
      { seq: 1, ts: 2, type: 5, actor: undefined, payload: { b: 1, a: 2 } },
    ] as unknown as Parameters<typeof recordBody>[0][]
    for (const r of odd) expect(recordBody(r)).toBe(referenceCanonicalJson(r))
  })
})
