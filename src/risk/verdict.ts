/**
 * @module risk/verdict
 * A risk check's answer. An expected "no" is a value with a machine-readable code, never an exception.
 */

/**
 * Every code the pre-trade checks deny with. Callers and sibling modules may deny with their own codes
 * (e.g. the order manager's `ENGINE_STOPPED`), so `deny` also takes any string; these are the ones the
 * risk layer itself produces and documents.
 */
export const RISK_CODES = [
  'TRADING_HALTED',
  'REDUCE_ONLY',
  'VENUE_NOT_ALLOWED',
  'SYMBOL_NOT_ALLOWED',
  'AMOUNT_NOT_POSITIVE',
  'AMOUNT_PRECISION',
  'AMOUNT_BELOW_MIN',
  'PRICE_MISSING',
  'PRICE_PRECISION',
  'NOTIONAL_BELOW_MIN',
  'PRICE_OUTSIDE_BAND',
  'NO_REFERENCE_PRICE',
  'NOTIONAL_EXCEEDS_MAX_PER_ORDER',
  'POSITION_EXCEEDS_MAX',
  'GROSS_EXPOSURE_EXCEEDS_MAX',
  'DAILY_LOSS_LIMIT',
  'MAX_OPEN_ORDERS',
  'ORDER_RATE_EXCEEDED',
  'INSUFFICIENT_BALANCE',
  'SELF_TRADE',
] as const
export type RiskCode = (typeof RISK_CODES)[number]

export type RiskVerdict =
  | { readonly approved: true }
  | { readonly approved: false; readonly code: string; readonly reason: string }

/** A denied verdict, for narrowing. */
export type RiskDenial = Extract<RiskVerdict, { approved: false }>

export const APPROVED: RiskVerdict = Object.freeze({ approved: true })

/** `RiskCode` autocompletes; any other string is accepted for codes owned outside this module. */
export function deny(code: RiskCode | (string & Record<never, never>), reason: string): RiskDenial {
  return { approved: false, code, reason }
}
