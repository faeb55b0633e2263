/**
 * @module ops/pnl/marks
 * Mark prices for valuing open positions: by default the last fill price of each (venue, symbol) in the store
 * at or before the period end; `--marks FILE` overrides them with a JSON object `{"venue:symbol": price}`
 * (price a decimal string or number; a key without a venue, `"BTC/USDT"`, marks that symbol on every venue).
 */
import { InputError, dec } from '../../model/index.js'
import { readInputFile } from './input-file.js'
import type { Decimal } from '../../model/index.js'

/** "venue:symbol" → price; a bare "symbol" key applies to every venue. */
export type MarkTable = ReadonlyMap<string, Decimal>

export function markKey(venue: string, symbol: string): string {
  return `${venue}:${symbol}`
}

/** The mark of (venue, symbol) in the table: exact key first, then the bare symbol. */
export function lookupMark(table: MarkTable, venue: string, symbol: string): Decimal | undefined {
  return table.get(markKey(venue, symbol)) ?? table.get(symbol)
}

export function parseMarks(text: string, file: string): Map<string, Decimal> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InputError(`${file}: not valid JSON (expected {"venue:symbol": price})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${file}: expected an object {"venue:symbol": price}`)
  const out = new Map<string, Decimal>()
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    let price: Decimal | undefined
    try {
      if (typeof raw === 'string' || typeof raw === 'number') price = dec(raw)
    } catch {
      price = undefined
    }
    if (price === undefined || !price.isFinite() || !price.gt(0)) throw new InputError(`${file}: mark '${key}' must be a price > 0`)
    if (!key.includes('/')) throw new InputError(`${file}: key '${key}' must be "venue:BASE/QUOTE" or "BASE/QUOTE"`)
    out.set(key, price)
  }
  return out
}

export async function readMarksFile(file: string): Promise<Map<string, Decimal>> {
  return parseMarks(await readInputFile('--marks', file), file)
}
