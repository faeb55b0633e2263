/**
 * @module strategy/params
 * Zod builders for strategy parameters. Raw values arrive from `--param k=v` as strings (or from config as
 * numbers and booleans), so every builder coerces and fails with a message short enough to follow
 * "parameter 'x': " on one line: `expected a positive integer, got "abc"`.
 */
import { z } from 'zod'
import { Decimal, parseSymbol, timeframeMs } from '../model/index.js'

type Issues = { issues: z.core.$ZodRawIssue[] }

function fail(ctx: Issues, input: unknown, message: string): never {
  ctx.issues.push({ code: 'custom', message, input })
  return z.NEVER
}

function shown(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value)
}

/** Builds a coercing parameter: `parse` returns the value or an error message (the "expected …" part). */
function param<T>(expected: string, parse: (value: unknown) => T | undefined) {
  return z.unknown().transform((value, ctx): T => {
    if (value === undefined) return fail(ctx, value, `required (${expected})`)
    const parsed = parse(value)
    return parsed === undefined ? fail(ctx, value, `expected ${expected}, got ${shown(value)}`) : parsed
  })
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string' || !DECIMAL_TEXT.test(value.trim())) return undefined
  return Number(value)
}

// Decimal.js also reads hex, octal and binary literals; a parameter should not.
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

/** A positive integer (window lengths, milliseconds). */
export function positiveInt() {
  return param('a positive integer', (v) => {
    const n = toNumber(v)
    return n !== undefined && Number.isSafeInteger(n) && n >= 1 ? n : undefined
  })
}

/** A number ≥ 0 (basis points). */
export function nonNegativeNumber(what = 'a number ≥ 0') {
  return param(what, (v) => {
    const n = toNumber(v)
    return n !== undefined && n >= 0 ? n : undefined
  })
}

/** A fraction in (0, 1]. */
export function fraction() {
  return param('a fraction in (0, 1]', (v) => {
    const n = toNumber(v)
    return n !== undefined && n > 0 && n <= 1 ? n : undefined
  })
}

/** An exact positive decimal (amounts in base currency); kept exact from its text. */
export function positiveDecimal() {
  return param('a positive decimal', (v) => {
    if (typeof v !== 'string' && typeof v !== 'number') return undefined
    if (toNumber(v) === undefined) return undefined
    const d = new Decimal(typeof v === 'string' ? v.trim() : v)
    return d.gt(0) ? d : undefined
  })
}

/** true/false, also `1/0`, `yes/no`, `on/off` as typed on a command line. */
export function bool() {
  return param('true or false', (v) => {
    if (typeof v === 'boolean') return v
    const text = String(v).trim().toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(text)) return true
    if (['false', '0', 'no', 'off'].includes(text)) return false
    return undefined
  })
}

/** A non-empty name (a venue id). */
export function name() {
  return param('a non-empty name', (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined))
}

/** A CCXT unified symbol `BASE/QUOTE`. */
export function symbol() {
  return param('a symbol like BTC/USDT', (v) => {
    if (typeof v !== 'string') return undefined
    try {
      parseSymbol(v.trim())
      return v.trim()
    } catch {
      return undefined
    }
  })
}

/** A bar timeframe such as `1m`, `15m`, `1h`. */
export function timeframe() {
  return param('a timeframe like 1m, 5m, 1h', (v) => (typeof v === 'string' && timeframeMs(v.trim()) !== undefined ? v.trim() : undefined))
}

/** A basis-point count as a Decimal fraction (`5` → 0.0005), for exact money comparisons. */
export function bpsToFraction(bps: number): Decimal {
  return new Decimal(bps).div(10_000)
}
