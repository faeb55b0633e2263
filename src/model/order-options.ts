/**
 * @module model/order-options
 * What an order asks for beyond side, type, amount and price, in CCXT's vocabulary: time in force,
 * reduce-only, a trigger (stop-market, stop-limit, take-profit), a trailing stop, and the protective exits
 * of a bracket. Kept with the order in the store as one JSON text (decimals as strings).
 */
import { type Decimal, dec } from './decimal.js'
import { InputError } from './errors.js'
import type { OrderSide, TimeInForce, TriggerDirection } from './order-types.js'
import { TIME_IN_FORCES, TRIGGER_DIRECTIONS } from './order-types.js'

export interface OrderOptions {
  /** Limit orders only; GTC when unset. */
  readonly timeInForce?: TimeInForce
  /** The order may only reduce the position: never increase it nor flip its side. */
  readonly reduceOnly?: boolean
  /**
   * Held by the venue until the price reaches it, then worked as its type (a market order: stop-market or
   * take-profit; a limit order at `price`: stop-limit).
   */
  readonly triggerPrice?: Decimal
  /** Which way `triggerPrice` fires (set by Sofia from the price when the order is made, unless given). */
  readonly triggerDirection?: TriggerDirection
  /** A trailing stop: the trigger follows the best price since the order arrived by this percent (0–100). */
  readonly trailingPercent?: Decimal
  /** A bracket: a reduce-only stop placed at this price for what the entry fills (one-cancels-other with TP). */
  readonly stopLossPrice?: Decimal
  /** A bracket: a reduce-only take-profit placed at this price for what the entry fills. */
  readonly takeProfitPrice?: Decimal
  /** The entry a protective exit belongs to (its client order id). */
  readonly parentId?: string
  /** The strategy's label for the order (`entry`, `stop-loss`, …). */
  readonly tag?: string
}

const DECIMAL_KEYS = ['triggerPrice', 'trailingPercent', 'stopLossPrice', 'takeProfitPrice'] as const

/** True when an order is held for a trigger (a stop, take-profit or trailing stop) rather than worked at once. */
export function isTriggerOrder(o: OrderOptions): boolean {
  return o.triggerPrice !== undefined || o.trailingPercent !== undefined
}

/**
 * JSON text of the options (null when there are none): decimals as strings, keys in a fixed order. `extra`
 * adds what the store keeps beside them (`triggeredAt`, see `triggeredAtFromJson`).
 */
export function optionsToJson(o: OrderOptions, extra: Readonly<Record<string, number>> = {}): string | null {
  const out: Record<string, unknown> = { ...extra }
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = typeof v === 'object' ? v.toString() : v
  const keys = Object.keys(out).sort()
  return keys.length === 0 ? null : JSON.stringify(out, keys)
}

/** Options back from their JSON text; `where` names the row in the error of a damaged one. */
export function optionsFromJson(text: string | null, where: string): OrderOptions {
  if (text === null || text === '') return {}
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new InputError(`${where}: order options are not JSON: ${text.slice(0, 80)}`)
  }
  if (typeof raw !== 'object' || raw === null) throw new InputError(`${where}: order options are not an object`)
  const r = raw as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k of DECIMAL_KEYS) if (r[k] !== undefined) out[k] = dec(String(r[k]))
  if (r['timeInForce'] !== undefined) {
    if (!(TIME_IN_FORCES as readonly unknown[]).includes(r['timeInForce'])) throw new InputError(`${where}: unknown timeInForce ${String(r['timeInForce'])}`)
    out['timeInForce'] = r['timeInForce']
  }
  if (r['triggerDirection'] !== undefined) {
    if (!(TRIGGER_DIRECTIONS as readonly unknown[]).includes(r['triggerDirection'])) {
      throw new InputError(`${where}: unknown triggerDirection ${String(r['triggerDirection'])}`)
    }
    out['triggerDirection'] = r['triggerDirection']
  }
  if (r['reduceOnly'] === true) out['reduceOnly'] = true
  for (const k of ['parentId', 'tag'] as const) if (typeof r[k] === 'string') out[k] = r[k]
  return out as OrderOptions
}

/** When a stored trigger order's trigger fired (the `triggeredAt` kept beside its options), or undefined. */
export function triggeredAtFromJson(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || !text.includes('triggeredAt')) return undefined
  const t = (JSON.parse(text) as Record<string, unknown>)['triggeredAt']
  return typeof t === 'number' && Number.isFinite(t) ? t : undefined
}

/**
 * Checks what an order asks for makes sense together and returns a problem in one sentence, or undefined.
 */
export function checkOptions(
  o: OrderOptions,
  order: { readonly side: OrderSide; readonly type: string; readonly price?: Decimal | undefined },
): string | undefined {
  if (o.timeInForce !== undefined && order.type !== 'limit' && o.timeInForce !== 'GTC' && o.timeInForce !== 'IOC') {
    return `timeInForce ${o.timeInForce} needs a limit order`
  }
  if (o.triggerPrice !== undefined && !o.triggerPrice.gt(0)) return 'triggerPrice must be positive'
  if (o.trailingPercent !== undefined && !(o.trailingPercent.gt(0) && o.trailingPercent.lt(100))) {
    return 'trailingPercent must be between 0 and 100'
  }
  if (o.triggerPrice !== undefined && o.trailingPercent !== undefined) return 'give triggerPrice or trailingPercent, not both'
  if (isTriggerOrder(o) && (o.stopLossPrice !== undefined || o.takeProfitPrice !== undefined)) {
    return 'a stop or trailing order cannot carry its own stopLossPrice/takeProfitPrice'
  }
  if (isTriggerOrder(o) && o.timeInForce === 'PO') return 'a triggered order cannot be post-only'
  for (const k of ['stopLossPrice', 'takeProfitPrice'] as const) {
    const v = o[k]
    if (v !== undefined && !v.gt(0)) return `${k} must be positive`
  }
  if (o.stopLossPrice !== undefined && o.takeProfitPrice !== undefined) {
    const ok = order.side === 'buy' ? o.stopLossPrice.lt(o.takeProfitPrice) : o.stopLossPrice.gt(o.takeProfitPrice)
    if (!ok) return `stopLossPrice ${o.stopLossPrice.toString()} must be on the losing side of takeProfitPrice ${o.takeProfitPrice.toString()} for a ${order.side}`
  }
  return undefined
}

/**
 * The direction a trigger fires in: given, or for a trailing stop from the side (a sell stop falls to it),
 * or from where the trigger stands against the price now (above it: fires on the way up).
 */
export function triggerDirectionOf(o: OrderOptions, side: OrderSide, reference: Decimal | undefined): TriggerDirection | undefined {
  if (o.triggerDirection !== undefined) return o.triggerDirection
  if (o.trailingPercent !== undefined) return side === 'sell' ? 'below' : 'above'
  if (o.triggerPrice === undefined) return undefined
  if (reference === undefined) return side === 'sell' ? 'below' : 'above'
  return o.triggerPrice.gt(reference) ? 'above' : 'below'
}
