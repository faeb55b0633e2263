/**
 * @module cli/args
 * Parsers for option values. Each throws InputError naming the option, so a typo exits 2 with one line.
 */
import { DATA_FORMATS, isDataFormat, type DataFormat } from '../data/data-format.js'
import { InputError } from '../model/index.js'

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** `k=v` pairs (repeatable `--param k=v`) into a record. */
export function keyValues(option: string, pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new InputError(`${option} '${pair}': expected KEY=VALUE`)
    out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}

/** A time as epoch ms or an ISO 8601 date/time (UTC unless it says otherwise). */
export function parseTime(option: string, value: string): number {
  if (/^\d+$/.test(value)) return Number(value)
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new InputError(`${option}: expected an ISO 8601 date or epoch ms, got '${value}'`)
  return ms
}

export function parseNonNegativeInt(option: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InputError(`${option}: expected a non-negative integer, got '${value}'`)
  }
  return Number(value)
}

export function parseNonNegativeNumber(option: string, value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InputError(`${option}: expected a number ≥ 0, got '${value}'`)
  return n
}

/** A market-data format name, which then overrides detection from the file's name and first line. */
export function parseDataFormat(option: string, value: string): DataFormat {
  if (!isDataFormat(value)) throw new InputError(`${option}: unknown format '${value}' (one of ${DATA_FORMATS.join(', ')})`)
  return value
}
