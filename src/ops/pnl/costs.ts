/**
 * @module ops/pnl/costs
 * Costs that are not trading fees: network and gas fees, withdrawal fees, funding, borrow interest. They lower
 * net P&L but never touch positions. They come from the store state (key {@link COSTS_STATE_KEY}, an array)
 * and/or a JSONL file (`--costs FILE`), one record per line:
 *
 * ```json
 * {"ts":"2024-03-01T12:00:00Z","kind":"gas","amount":"1.25","currency":"USDT","venue":"alpha","strategyId":"mm","symbol":"ETH/USDT","note":"tx 0xabc"}
 * ```
 *
 * `ts` is epoch ms or ISO 8601; `amount` is a decimal string (or number) in `currency`, positive when paid and
 * negative when received (funding received). `venue`, `strategyId` and `symbol` are optional tags that place
 * the cost in the P&L breakdowns; untagged costs show under `-`.
 */
import type { Decimal } from '../../model/index.js'
import { InputError, dec } from '../../model/index.js'
import { readInputFile } from './input-file.js'
import type { Store } from '../../store/index.js'

export const COST_KINDS = ['network_fee', 'gas', 'withdrawal_fee', 'funding', 'borrow_interest', 'other'] as const
export type CostKind = (typeof COST_KINDS)[number]

/** Store state key holding an array of cost records (same shape as the JSONL lines). */
export const COSTS_STATE_KEY = 'ops.costs'

export interface CostRecord {
  readonly ts: number
  readonly kind: CostKind
  /** In `currency`; > 0 paid, < 0 received. */
  readonly amount: Decimal
  readonly currency: string
  readonly venue?: string
  readonly strategyId?: string
  readonly symbol?: string
  readonly note?: string
}

function optionalText(obj: Record<string, unknown>, field: string, where: string): string | undefined {
  const v = obj[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || v === '') throw new InputError(`${where}: field '${field}' must be a non-empty string`)
  return v
}

/** Validates one record; `where` names the file and line (or the store key) in the error. */
export function parseCostRecord(value: unknown, where: string): CostRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a JSON object`)
  const obj = value as Record<string, unknown>
  const rawTs = obj['ts']
  const ts = typeof rawTs === 'number' ? rawTs : typeof rawTs === 'string' ? (/^\d+$/.test(rawTs) ? Number(rawTs) : Date.parse(rawTs)) : Number.NaN
  if (!Number.isSafeInteger(ts)) throw new InputError(`${where}: field 'ts' must be epoch ms or an ISO 8601 time`)
  const kind = obj['kind']
  if (typeof kind !== 'string' || !(COST_KINDS as readonly string[]).includes(kind)) {
    throw new InputError(`${where}: field 'kind' must be one of ${COST_KINDS.join(', ')}`)
  }
  const rawAmount = obj['amount']
  let amount: Decimal
  try {
    if (typeof rawAmount !== 'string' && typeof rawAmount !== 'number') throw new Error('missing')
    amount = dec(rawAmount)
  } catch {
    throw new InputError(`${where}: field 'amount' must be a decimal number`)
  }
  if (!amount.isFinite()) throw new InputError(`${where}: field 'amount' must be finite`)
  const currency = optionalText(obj, 'currency', where)
  if (currency === undefined) throw new InputError(`${where}: field 'currency' is required`)
  const venue = optionalText(obj, 'venue', where)
  const strategyId = optionalText(obj, 'strategyId', where)
  const symbol = optionalText(obj, 'symbol', where)
  const note = optionalText(obj, 'note', where)
  return {
    ts,
    kind: kind as CostKind,
    amount,
    currency,
    ...(venue === undefined ? {} : { venue }),
    ...(strategyId === undefined ? {} : { strategyId }),
    ...(symbol === undefined ? {} : { symbol }),
    ...(note === undefined ? {} : { note }),
  }
}

/** Parses JSONL text; blank lines are skipped, anything else bad names its line. */
export function parseCostsJsonl(text: string, file: string): CostRecord[] {
  const out: CostRecord[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new InputError(`${file}:${i + 1}: not valid JSON`)
    }
    out.push(parseCostRecord(value, `${file}:${i + 1}`))
  }
  return out
}

export async function readCostsFile(file: string): Promise<CostRecord[]> {
  return parseCostsJsonl(await readInputFile('--costs', file), file)
}

/** Costs recorded in the store state (none when the key is absent). */
export async function loadStoredCosts(store: Store): Promise<CostRecord[]> {
  const value = await store.getState<unknown>(COSTS_STATE_KEY)
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new InputError(`store state '${COSTS_STATE_KEY}': expected an array of cost records`)
  return value.map((v: unknown, i) => parseCostRecord(v, `store state '${COSTS_STATE_KEY}'[${i}]`))
}

/** A cost record as JSON (decimals as strings). */
export function costJson(c: CostRecord): Record<string, unknown> {
  return { ...c, ts: new Date(c.ts).toISOString(), amount: c.amount.toString() }
}
