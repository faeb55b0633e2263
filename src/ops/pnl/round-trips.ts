/**
 * @module ops/pnl/round-trips
 * Round trips ("trades" as Freqtrade counts them) from recorded fills: per strategy, venue and symbol, a trip
 * opens when the position leaves zero and closes when it returns to zero. A fill that flips the position
 * closes the trip with the part that brings it to zero and opens the next with the rest (its fee split in the
 * same proportion). Exact: a closed trip's gross P&L is the exit value less the entry value (short: the other
 * way round), both sums of price × amount; fees paid in the base currency count at their fill's price, fees in
 * any other currency are left out and the trip says so.
 */
import { Decimal, ZERO, dec } from '../../model/index.js'
import type { StoredFill } from '../../store/index.js'

export interface RoundTrip {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  /** long: opened by buying; short: by selling. */
  readonly side: 'long' | 'short'
  readonly openedAt: number
  /** Undefined while it is open. */
  readonly closedAt: number | undefined
  /** Everything bought (long) or sold (short) to open it. */
  readonly amount: Decimal
  readonly entryPrice: Decimal
  /** Undefined until something was closed. */
  readonly exitPrice: Decimal | undefined
  /** Exit value − entry value (short: entry − exit); undefined while open. */
  readonly gross: Decimal | undefined
  /** In the quote currency. */
  readonly fees: Decimal
  /** gross − fees; undefined while open. */
  readonly net: Decimal | undefined
  /** net as a percentage of the entry value; undefined while open. */
  readonly netPct: number | undefined
  readonly fills: number
  /** Fees in a third currency were paid and are not in `fees`. */
  readonly otherFees: boolean
}

interface Open {
  strategyId: string
  venue: string
  symbol: string
  dir: 1 | -1
  openedAt: number
  position: Decimal
  entryQty: Decimal
  entryValue: Decimal
  exitQty: Decimal
  exitValue: Decimal
  fees: Decimal
  fills: number
  otherFees: boolean
}

function finish(t: Open, closedAt: number | undefined): RoundTrip {
  const closed = closedAt !== undefined
  const gross = closed ? t.exitValue.sub(t.entryValue).mul(t.dir) : undefined
  const net = gross?.sub(t.fees)
  return {
    strategyId: t.strategyId,
    venue: t.venue,
    symbol: t.symbol,
    side: t.dir === 1 ? 'long' : 'short',
    openedAt: t.openedAt,
    closedAt,
    amount: t.entryQty,
    entryPrice: t.entryValue.div(t.entryQty),
    exitPrice: t.exitQty.isZero() ? undefined : t.exitValue.div(t.exitQty),
    gross,
    fees: t.fees,
    net,
    netPct: net === undefined || t.entryValue.isZero() ? undefined : net.div(t.entryValue).mul(100).toNumber(),
    fills: t.fills,
    otherFees: t.otherFees,
  }
}

/** The fee of `part` of a fill's amount, in the quote currency; undefined when paid in a third currency. */
function quoteFee(f: StoredFill, part: Decimal): Decimal | undefined {
  const [base, quote] = f.symbol.split('/')
  const amount = dec(f.amount)
  // Multiplied before divided: the whole fill's fee, or a share that divides exactly, stays exact.
  const fee = part.eq(amount) ? dec(f.feeCost) : dec(f.feeCost).mul(part).div(amount)
  if (f.feeCurrency === quote || fee.isZero()) return fee
  if (f.feeCurrency === base) return fee.mul(dec(f.price))
  return undefined
}

/** Adds a fill's fee to its trip; a fee in a third currency (undefined) is flagged, not added. */
function addFee(t: Open, fee: Decimal | undefined): void {
  if (fee === undefined) t.otherFees = true
  else t.fees = t.fees.add(fee)
}

/**
 * Every round trip in `fills` (any order; sorted here by time, then trade id), closed ones and the ones still
 * open at the end, in the order they opened.
 */
export function roundTrips(fills: readonly StoredFill[]): RoundTrip[] {
  const sorted = [...fills].sort((a, b) => a.timestamp - b.timestamp || (a.tradeId < b.tradeId ? -1 : a.tradeId > b.tradeId ? 1 : 0))
  const open = new Map<string, Open>()
  const out: { trip: RoundTrip; openedAt: number; seq: number }[] = []
  let seq = 0
  const start = (f: StoredFill, dir: 1 | -1): Open => ({
    strategyId: f.strategyId,
    venue: f.venue,
    symbol: f.symbol,
    dir,
    openedAt: f.timestamp,
    position: ZERO,
    entryQty: ZERO,
    entryValue: ZERO,
    exitQty: ZERO,
    exitValue: ZERO,
    fees: ZERO,
    fills: 0,
    otherFees: false,
  })
  const order = new Map<Open, number>()
  for (const f of sorted) {
    const key = `${f.strategyId}\u0000${f.venue}\u0000${f.symbol}`
    const amount = dec(f.amount)
    const price = dec(f.price)
    const dir: 1 | -1 = f.side === 'buy' ? 1 : -1
    let t = open.get(key)
    if (t === undefined) {
      t = start(f, dir)
      open.set(key, t)
      order.set(t, seq++)
    }
    t.fills++
    if (dir === t.dir) {
      t.position = t.position.add(amount)
      t.entryQty = t.entryQty.add(amount)
      t.entryValue = t.entryValue.add(amount.mul(price))
      addFee(t, quoteFee(f, amount))
      continue
    }
    // Closing: up to the open position; the rest (a flip) opens the next trip.
    const closing = Decimal.min(amount, t.position)
    t.position = t.position.sub(closing)
    t.exitQty = t.exitQty.add(closing)
    t.exitValue = t.exitValue.add(closing.mul(price))
    const fee = quoteFee(f, closing)
    addFee(t, fee)
    if (!t.position.isZero()) continue
    out.push({ trip: finish(t, f.timestamp), openedAt: t.openedAt, seq: order.get(t)! })
    open.delete(key)
    const rest = amount.sub(closing)
    if (rest.isZero()) continue
    const next = start(f, dir)
    next.fills = 1
    next.position = rest
    next.entryQty = rest
    next.entryValue = rest.mul(price)
    // The rest of the fee: the whole less the closing part's, so the two add up to it exactly.
    const whole = quoteFee(f, amount)
    if (whole === undefined || fee === undefined) next.otherFees = true
    else next.fees = whole.sub(fee)
    open.set(key, next)
    order.set(next, seq++)
  }
  for (const t of open.values()) out.push({ trip: finish(t, undefined), openedAt: t.openedAt, seq: order.get(t)! })
  return out.sort((a, b) => a.openedAt - b.openedAt || a.seq - b.seq).map((x) => x.trip)
}
