// Randomized books: thousands of seeded random fills across venues, symbols and strategies, checked against
// an independent model (balances summed directly, average cost in exact rationals) and the ledger identities.
import { describe, expect, it } from 'vitest'
import { Decimal, ZERO, dec, makeInstrument } from '../model/index.js'
import type { Instrument, Trade } from '../model/index.js'
import { Prng } from '../engine/index.js'
import { Ledger } from './ledger.js'


// Exact rationals for the reference average-cost model: no rounding at all.
interface Q {
  n: bigint
  d: bigint
}
function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}
function norm(n: bigint, d: bigint): Q {
  if (d < 0n) [n, d] = [-n, -d]
  const g = gcd(n, d)
  return g > 1n ? { n: n / g, d: d / g } : { n, d }
}
function q(x: Decimal): Q {
  const [n, d] = x.toFraction()
  return norm(BigInt(n!.toFixed()), BigInt(d!.toFixed()))
}
const Q0: Q = { n: 0n, d: 1n }
const add = (a: Q, b: Q): Q => norm(a.n * b.d + b.n * a.d, a.d * b.d)
const sub = (a: Q, b: Q): Q => norm(a.n * b.d - b.n * a.d, a.d * b.d)
const mul = (a: Q, b: Q): Q => norm(a.n * b.n, a.d * b.d)
const div = (a: Q, b: Q): Q => norm(a.n * b.d, a.d * b.n)
const neg = (a: Q): Q => ({ n: -a.n, d: a.d })
const absq = (a: Q): Q => (a.n < 0n ? neg(a) : a)
const cmpq = (a: Q, b: Q): number => {
  const x = a.n * b.d - b.n * a.d
  return x < 0n ? -1 : x > 0n ? 1 : 0
}
const toDec = (a: Q): Decimal => new (Decimal.clone({ precision: 200 }))(a.n.toString()).div(a.d.toString())

/** Average cost without rounding. */
class ReferenceBook {
  amount = Q0
  basis = Q0
  realized = Q0
  paid = Q0 // Σ signed cost
  reductions = 0
  apply(buy: boolean, price: Q, amount: Q): void {
    const signedAmount = buy ? amount : neg(amount)
    const signedCost = mul(price, signedAmount)
    this.paid = add(this.paid, signedCost)
    const held = this.amount
    if (held.n === 0n || held.n > 0n === buy) {
      this.amount = add(held, signedAmount)
      this.basis = add(this.basis, signedCost)
      return
    }
    this.reductions++
    const heldAbs = absq(held)
    const closed = cmpq(amount, heldAbs) <= 0 ? amount : heldAbs
    const removed = div(mul(this.basis, closed), heldAbs)
    const closedCost = mul(price, buy ? closed : neg(closed))
    this.realized = add(this.realized, sub(neg(closedCost), removed))
    this.basis = add(sub(this.basis, removed), sub(signedCost, closedCost))
    this.amount = add(held, signedAmount)
  }
}

const VENUES = ['binance', 'kraken', 'coinbase']
const INSTRUMENTS: Instrument[] = [
  makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.00001' }),
  makeInstrument({ symbol: 'ETH/USDT', tickSize: '0.01', stepSize: '0.0001' }),
  makeInstrument({ symbol: 'SOL/USDT', tickSize: '0.001', stepSize: '0.01' }),
  makeInstrument({ symbol: 'DOGE/USDT', tickSize: '0.00001', stepSize: '1' }),
]
const BASE_PRICE: Record<string, number> = { 'BTC/USDT': 60_000, 'ETH/USDT': 3_000, 'SOL/USDT': 150, 'DOGE/USDT': 0.15 }

interface Run {
  ledger: Ledger
  trades: { trade: Trade; inst: Instrument; strategy: string }[]
  deposits: Map<string, Decimal>
}

function randomRun(seed: number, fills: number, strategyFor: (rand: () => number, venue: string, symbol: string) => string): Run {
  const prng = new Prng(seed)
  const rand = (): number => prng.next()
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))
  const ledger = new Ledger({ maxEquityPoints: 64 })
  const deposits = new Map<string, Decimal>()
  for (const v of VENUES) {
    for (const [asset, amount] of [['USDT', '1000000'], ['BTC', '3'], ['ETH', '40'], ['BNB', '100']] as const) {
      ledger.deposit(v, asset, dec(amount))
      deposits.set(v + ' ' + asset, dec(amount))
    }
  }
  const price = new Map<string, number>(Object.entries(BASE_PRICE))
  const trades: Run['trades'] = []
  // BNB pays some fees; only binance marks it, so the other venues value it through binance's mark.
  ledger.mark('binance', 'BNB/USDT', 500)
  for (let i = 0; i < fills; i++) {
    const inst = INSTRUMENTS[int(0, INSTRUMENTS.length - 1)]!
    const venue = VENUES[int(0, VENUES.length - 1)]!
    const strategy = strategyFor(rand, venue, inst.symbol)
    // A random walk of the price, rounded to the tick: exact decimals of varied length.
    const p0 = price.get(inst.symbol)! * (1 + (rand() - 0.5) * 0.02)
    price.set(inst.symbol, p0)
    const p = dec(p0.toFixed(inst.priceDecimals))
    const amount = inst.stepSize.mul(int(1, 3000))
    const cost = p.mul(amount)
    const kind = rand()
    const fee =
      kind < 0.6
        ? { cost: cost.mul('0.001').toDecimalPlaces(8), currency: inst.quote }
        : kind < 0.85
          ? { cost: amount.mul('0.00075').toDecimalPlaces(10), currency: inst.base }
          : kind < 0.95
            ? { cost: dec(int(0, 100_000)).mul('0.00000001'), currency: 'BNB' }
            : { cost: cost.mul('-0.0001').toDecimalPlaces(8), currency: inst.quote } // maker rebate
    const trade: Trade = {
      id: `f${i}`,
      order: `o${i}`,
      clientOrderId: `c${i}`,
      venue,
      symbol: inst.symbol,
      timestamp: 1_700_000_000_000 + i * 1000,
      side: rand() < 0.5 ? 'buy' : 'sell',
      price: p,
      amount,
      cost,
      fee,
      takerOrMaker: 'taker',
    }
    ledger.applyFill(trade, inst, strategy)
    trades.push({ trade, inst, strategy })
    if (rand() < 0.3) ledger.mark(venue, inst.symbol, Number(p0.toPrecision(8)))
    if (rand() < 0.01) ledger.mark('binance', 'BNB/USDT', 400 + rand() * 200)
    if (i % 97 === 0) ledger.sampleEquity(trade.timestamp)
  }
  // Final marks: every symbol on binance; other venues only sometimes, to exercise the any-venue fallback.
  for (const inst of INSTRUMENTS) {
    ledger.mark('binance', inst.symbol, price.get(inst.symbol)!)
    if (rand() < 0.5) ledger.mark('kraken', inst.symbol, price.get(inst.symbol)! * 1.001)
  }
  return { ledger, trades, deposits }
}

const anyStrategy = (rand: () => number): string => ['alpha', 'beta', 'gamma', 'delta'][Math.floor(rand() * 4)]!

describe('Ledger under random fills', () => {
  const run = randomRun(20240611, 6000, anyStrategy)
  const { ledger, trades } = run

  it('balances match an independent sum of the fills exactly', () => {
    const expected = new Map(run.deposits)
    const bump = (venue: string, asset: string, x: Decimal): void => {
      expected.set(venue + ' ' + asset, (expected.get(venue + ' ' + asset) ?? ZERO).add(x))
    }
    for (const { trade, inst } of trades) {
      const buy = trade.side === 'buy'
      bump(trade.venue, inst.base, buy ? trade.amount : trade.amount.neg())
      bump(trade.venue, inst.quote, buy ? trade.cost.neg() : trade.cost)
      bump(trade.venue, trade.fee.currency, trade.fee.cost.neg())
    }
    const entries = ledger.balances()
    expect(entries.length).toBe(VENUES.length * 6) // USDT BTC ETH BNB SOL DOGE
    for (const b of entries) {
      const want = expected.get(b.venue + ' ' + b.asset) ?? ZERO
      expect(b.total.eq(want), `${b.venue} ${b.asset}: ${b.total} vs ${want}`).toBe(true)
    }
  })

  it('holds the account identity exactly, and verify() agrees', () => {
    const id = ledger.verify()
    expect(id.applicable).toBe(true)
    expect(id.left.eq(id.right), `${id.left} vs ${id.right}`).toBe(true)
    expect(id.realizedPnl.isZero()).toBe(false)
    expect(id.unrealizedPnl.isZero()).toBe(false)
  })

  it('realizes what exact (unrounded) average cost realizes, within the 18-place rounding', () => {
    const books = new Map<string, ReferenceBook>()
    const accountBooks = new Map<string, ReferenceBook>()
    for (const { trade, strategy } of trades) {
      for (const [map, key] of [
        [books, strategy + ' ' + trade.venue + ' ' + trade.symbol],
        [accountBooks, trade.venue + ' ' + trade.symbol],
      ] as const) {
        let b = map.get(key)
        if (b === undefined) map.set(key, (b = new ReferenceBook()))
        b.apply(trade.side === 'buy', q(trade.price), q(trade.amount))
      }
    }
    let throughZero = 0
    const check = (ref: ReferenceBook, got: { amount: Decimal; costBasis: Decimal; realizedPnl: Decimal }, where: string): void => {
      expect(got.amount.eq(toDec(ref.amount)), where).toBe(true)
      // Exact: cost basis − realized is what was paid, whatever the rounding.
      expect(got.costBasis.sub(got.realizedPnl).eq(toDec(ref.paid)), where).toBe(true)
      const drift = got.realizedPnl.sub(toDec(ref.realized)).abs()
      expect(drift.lte(dec(ref.reductions).mul('1e-18')), `${where}: drift ${drift}`).toBe(true)
      if (ref.reductions > 0) throughZero++
    }
    for (const [key, ref] of books) {
      const [s, v, sym] = key.split(' ') as [string, string, string]
      check(ref, ledger.strategyPosition(s, v, sym), key)
    }
    for (const [key, ref] of accountBooks) {
      const [v, sym] = key.split(' ') as [string, string]
      check(ref, ledger.position(v, sym), key)
    }
    expect(throughZero).toBeGreaterThan(0)
  })

  it('goes short and through zero along the way', () => {
    const crossings = ledger.closedTrades().filter((c) => {
      const t = trades.find((x) => x.trade.id === c.tradeId)!.trade
      return c.closedAmount.lt(t.amount)
    })
    expect(crossings.length).toBeGreaterThan(10)
    expect(ledger.strategyPositions().some((p) => p.amount.isNeg() && !p.amount.isZero())).toBe(true)
  })

  it('strategy totals add up exactly to the account: fees, fills, volume, amounts and total P&L', () => {
    const account = ledger.totals()
    let fees = ZERO
    let fills = 0
    let volume = ZERO
    for (const s of ledger.strategies()) {
      const t = ledger.totals({ strategyId: s })
      fees = fees.add(t.fees)
      fills += t.fills
      volume = volume.add(t.volume)
    }
    expect(fees.eq(account.fees)).toBe(true)
    expect(fills).toBe(account.fills)
    expect(fills).toBe(trades.length)
    expect(volume.eq(account.volume)).toBe(true)
    for (const p of ledger.positions()) {
      let amount = ZERO
      let total = ZERO
      for (const s of ledger.strategyPositions()) {
        if (s.venue !== p.venue || s.symbol !== p.symbol) continue
        amount = amount.add(s.amount)
        total = total.add(s.realizedPnl).add(ledger.unrealizedPnl(s.venue, s.symbol, s.strategyId)!)
      }
      expect(amount.eq(p.amount)).toBe(true)
      const accountTotal = p.realizedPnl.add(ledger.unrealizedPnl(p.venue, p.symbol)!)
      expect(total.eq(accountTotal), `${p.venue} ${p.symbol}: ${total} vs ${accountTotal}`).toBe(true)
    }
  })

  it('keeps the equity curve bounded', () => {
    expect(ledger.equityCurve().length).toBeLessThanOrEqual(64)
    expect(ledger.equityCurve()[0]?.timestamp).toBe(1_700_000_000_000)
  })

  it('holds the identities at every step, not only at the end', () => {
    const r = randomRun(7, 600, anyStrategy)
    const replay = new Ledger()
    for (const [key, amount] of r.deposits) {
      const [v, a] = key.split(' ') as [string, string]
      replay.deposit(v, a, amount)
    }
    replay.mark('binance', 'BNB/USDT', 500)
    let checked = 0
    for (const { trade, inst, strategy } of r.trades) {
      replay.applyFill(trade, inst, strategy)
      replay.mark(trade.venue, trade.symbol, trade.price.toNumber())
      const id = replay.verify()
      if (id.applicable) checked++
    }
    expect(checked).toBeGreaterThan(500)
  })

  it('gives every equity sample the exact equity and exposure an eager valuation gives at its time, drawdown included', () => {
    const r = randomRun(7, 1500, anyStrategy)
    const replay = new Ledger({ maxEquityPoints: 1_000_000 })
    for (const [key, amount] of r.deposits) {
      const [v, a] = key.split(' ') as [string, string]
      replay.deposit(v, a, amount)
    }
    replay.mark('binance', 'BNB/USDT', 500)
    const prng = new Prng(5)
    const eager: { equity: string; exposure: string }[] = []
    let peak: Decimal | undefined
    let maxDd = ZERO
    let t = 0
    const sample = (): void => {
      replay.sampleEquity(t++)
      const equity = replay.equity().total
      eager.push({ equity: equity.toString(), exposure: replay.grossExposure().toString() })
      if (peak === undefined || equity.gt(peak)) peak = equity
      if (peak.sub(equity).gt(maxDd)) maxDd = peak.sub(equity)
    }
    for (const { trade, inst, strategy } of r.trades) {
      replay.applyFill(trade, inst, strategy)
      // Marks of varied length on every venue, some samples with nothing moved since the last.
      for (let k = 0; k < 5; k++) {
        const u = prng.next()
        if (u < 0.8) replay.mark(VENUES[k % 3]!, trade.symbol, Number((trade.price.toNumber() * (1 + (prng.next() - 0.5) * 0.01)).toPrecision(3 + (k % 9))))
        sample()
      }
    }
    const points = replay.equityCurve()
    expect(points).toHaveLength(eager.length)
    expect(points.map((p) => ({ equity: p.equity.toString(), exposure: p.grossExposure.toString() }))).toEqual(eager)
    expect(replay.maxDrawdown().amount.toString()).toBe(maxDd.toString())
  })
})

describe('Ledger under random fills, one strategy per market', () => {
  it('realized P&L of the strategies adds up exactly to the account', () => {
    const owner = (_: () => number, venue: string, symbol: string): string => `${venue}:${symbol.length % 2}`
    const { ledger } = randomRun(99, 3000, owner)
    ledger.verify()
    let realized = ZERO
    let net = ZERO
    let closing = 0
    for (const s of ledger.strategies()) {
      const t = ledger.totals({ strategyId: s })
      realized = realized.add(t.realizedPnl)
      net = net.add(t.netPnl)
      closing += t.closingFills
    }
    const account = ledger.totals()
    expect(realized.eq(account.realizedPnl)).toBe(true)
    expect(net.eq(account.netPnl)).toBe(true)
    expect(closing).toBe(account.closingFills)
    expect(account.realizedPnl.isZero()).toBe(false)
    expect(ledger.realizedNet('USDT').toString()).toBe(account.realizedPnl.sub(account.fees).toString())
  })
})
