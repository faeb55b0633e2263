// Hand-computed ledger cases: average cost, rounding, going through zero, fees, venues, strategies, refusals, tampering.
import { describe, expect, it } from 'vitest'
import { DuplicateFill, InputError, InvariantViolation, dec, makeInstrument } from '../model/index.js'
import type { Instrument, Trade } from '../model/index.js'
import { Ledger } from './ledger.js'
import type { PositionSnapshot } from './ledger.js'

const BTC = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.0001' })
const ETH = makeInstrument({ symbol: 'ETH/USDT', tickSize: '0.01', stepSize: '0.0001' })
const ETHBTC = makeInstrument({ symbol: 'ETH/BTC', tickSize: '0.00001', stepSize: '0.001' })

let seq = 0
function fill(
  side: 'buy' | 'sell',
  amount: string,
  price: string,
  opts: { venue?: string; inst?: Instrument; fee?: string; feeCurrency?: string; id?: string; cost?: string } = {},
): Trade {
  const inst = opts.inst ?? BTC
  const p = dec(price)
  const a = dec(amount)
  seq++
  return {
    id: opts.id ?? `t${seq}`,
    order: `o${seq}`,
    clientOrderId: `c${seq}`,
    venue: opts.venue ?? 'binance',
    symbol: inst.symbol,
    timestamp: 1_700_000_000_000 + seq,
    side,
    price: p,
    amount: a,
    cost: opts.cost !== undefined ? dec(opts.cost) : p.mul(a),
    fee: { cost: dec(opts.fee ?? '0'), currency: opts.feeCurrency ?? inst.quote },
    takerOrMaker: 'taker',
  }
}

/** A position's figures as text (the fill count as a number), to hold against hand-computed ones with toMatchObject. */
function figures(p: PositionSnapshot): Record<string, string | number | undefined> {
  return {
    amount: p.amount.toString(),
    costBasis: p.costBasis.toString(),
    averagePrice: p.averagePrice?.toString(),
    realizedPnl: p.realizedPnl.toString(),
    fees: p.fees.toString(),
    netPnl: p.netPnl.toString(),
    fills: p.fills,
    volume: p.volume.toString(),
  }
}

function funded(): Ledger {
  const l = new Ledger()
  l.deposit('binance', 'USDT', dec(10_000))
  return l
}

describe('Ledger average cost', () => {
  it('positionAmount and strategyPositionAmount read what the snapshots hold, zero when never traded', () => {
    const l = funded()
    expect(l.positionAmount('binance', 'BTC/USDT').toString()).toBe('0')
    expect(l.strategyPositionAmount('s1', 'binance', 'BTC/USDT').toString()).toBe('0')
    l.applyFill(fill('buy', '2', '100'), BTC, 's1')
    l.applyFill(fill('sell', '0.5', '110'), BTC, 's2')
    expect(l.positionAmount('binance', 'BTC/USDT').toString()).toBe(l.position('binance', 'BTC/USDT').amount.toString())
    expect(l.positionAmount('binance', 'BTC/USDT').toString()).toBe('1.5')
    expect(l.strategyPositionAmount('s1', 'binance', 'BTC/USDT').toString()).toBe('2')
    expect(l.strategyPositionAmount('s2', 'binance', 'BTC/USDT').toString()).toBe('-0.5')
    expect(l.strategyPositionAmount('s3', 'binance', 'BTC/USDT').toString()).toBe('0')
  })

  it('buy 2 @ 100, buy 1 @ 130, sell 1.5 @ 150 realizes 60 at an average cost of 110', () => {
    const l = funded()
    l.applyFill(fill('buy', '2', '100', { fee: '0.2' }), BTC, 's1')
    l.applyFill(fill('buy', '1', '130', { fee: '0.13' }), BTC, 's1')
    expect(l.position('binance', 'BTC/USDT').averagePrice?.toString()).toBe('110')
    l.applyFill(fill('sell', '1.5', '150', { fee: '0.225' }), BTC, 's1')

    const p = l.position('binance', 'BTC/USDT')
    expect(figures(p)).toMatchObject({ amount: '1.5', costBasis: '165', averagePrice: '110', realizedPnl: '60', fees: '0.555', netPnl: '59.445', fills: 3, volume: '555' })
    expect(l.balance('binance', 'USDT').toString()).toBe('9894.445')
    expect(l.balance('binance', 'BTC').toString()).toBe('1.5')

    const closed = l.closedTrades()
    expect(closed).toHaveLength(1)
    expect(closed[0]?.netPnl.toString()).toBe('59.775')
    expect(l.totals({ strategyId: 's1' }).wins).toBe(1)

    l.mark('binance', 'BTC/USDT', 160)
    expect(l.unrealizedPnl('binance', 'BTC/USDT')?.toString()).toBe('75')
    expect(l.equity().total.toString()).toBe('10134.445')
    const id = l.verify()
    expect(id.applicable).toBe(true)
    expect(id.left.toString()).toBe('135')
    expect(id.right.toString()).toBe('135')
  })

  it('rounds the removed cost to 18 places and still adds back up exactly', () => {
    const l = funded()
    l.applyFill(fill('buy', '1', '100'), BTC, 's1')
    l.applyFill(fill('buy', '2', '101'), BTC, 's1')
    l.applyFill(fill('sell', '1', '105'), BTC, 's1')
    let p = l.position('binance', 'BTC/USDT')
    expect(figures(p)).toMatchObject({ realizedPnl: '4.333333333333333333', costBasis: '201.333333333333333333' })
    l.applyFill(fill('sell', '2', '105'), BTC, 's1')
    p = l.position('binance', 'BTC/USDT')
    expect(p.realizedPnl.toString()).toBe('13')
    expect(p.costBasis.isZero()).toBe(true)
    expect(p.averagePrice).toBeUndefined()
  })

  it('goes through zero into a short and back', () => {
    const l = funded()
    l.applyFill(fill('buy', '1', '100'), BTC, 's1')
    l.applyFill(fill('sell', '3', '120', { fee: '0.36' }), BTC, 's1')
    let p = l.position('binance', 'BTC/USDT')
    expect(figures(p)).toMatchObject({ amount: '-2', costBasis: '-240', averagePrice: '120', realizedPnl: '20' })
    expect(l.closedTrades()[0]?.closedAmount.toString()).toBe('1')
    // The fill's whole fee counts against the closing fill.
    expect(l.closedTrades()[0]?.netPnl.toString()).toBe('19.64')

    l.mark('binance', 'BTC/USDT', 130)
    expect(l.unrealizedPnl('binance', 'BTC/USDT')?.toString()).toBe('-20')
    l.verify()

    l.applyFill(fill('sell', '1', '140'), BTC, 's1')
    p = l.position('binance', 'BTC/USDT')
    expect(figures(p)).toMatchObject({ amount: '-3', costBasis: '-380' })

    l.applyFill(fill('buy', '3', '110'), BTC, 's1')
    p = l.position('binance', 'BTC/USDT')
    expect(p.amount.isZero()).toBe(true)
    expect(p.realizedPnl.toString()).toBe('70') // 20 + (380 − 330)
    expect(p.closingFills).toBe(2)
    expect(l.balance('binance', 'BTC').isZero()).toBe(true)
    expect(l.balance('binance', 'USDT').toString()).toBe('10069.64')
    expect(l.verify().left.toString()).toBe('70')
  })
})

describe('Ledger fees', () => {
  it('takes a fee in the base from the base balance and values it at the fill price', () => {
    const l = funded()
    l.applyFill(fill('buy', '1', '100', { fee: '0.001', feeCurrency: 'BTC' }), BTC, 's1')
    expect(l.balance('binance', 'BTC').toString()).toBe('0.999')
    expect(l.balance('binance', 'USDT').toString()).toBe('9900')
    const p = l.position('binance', 'BTC/USDT')
    expect(figures(p)).toMatchObject({ amount: '1', fees: '0.1' })
    l.mark('binance', 'BTC/USDT', 120)
    const id = l.verify()
    expect(id.fees.toString()).toBe('0.12') // valued at the mark for the identity
    expect(id.left.toString()).toBe('20')
    expect(id.right.toString()).toBe('20')
  })

  it('values a fee in a third currency at its mark, or keeps it unvalued', () => {
    const l = funded()
    l.deposit('binance', 'BNB', dec(1))
    l.applyFill(fill('buy', '1', '100', { fee: '0.01', feeCurrency: 'BNB' }), BTC, 's1')
    expect(l.position('binance', 'BTC/USDT').fees.isZero()).toBe(true)
    expect(l.position('binance', 'BTC/USDT').unvaluedFees['BNB']?.toString()).toBe('0.01')
    l.mark('binance', 'BNB/USDT', 300)
    l.applyFill(fill('sell', '1', '100', { fee: '0.01', feeCurrency: 'BNB' }), BTC, 's1')
    expect(l.position('binance', 'BTC/USDT').fees.toString()).toBe('3')
    expect(l.balance('binance', 'BNB').toString()).toBe('0.98')
    const id = l.verify()
    expect(id.applicable).toBe(true)
    expect(id.right.toString()).toBe('0') // −6 of BNB in equity, +6 of fees
  })

  it('accepts a negative fee (maker rebate) as income', () => {
    const l = funded()
    l.applyFill(fill('buy', '1', '100', { fee: '-0.05' }), BTC, 's1')
    expect(l.balance('binance', 'USDT').toString()).toBe('9900.05')
    l.mark('binance', 'BTC/USDT', 100)
    expect(l.verify().right.toString()).toBe('0')
  })
})

describe('Ledger balances and valuation', () => {
  it('keeps balances per venue and values each with its own venue mark, else another venue', () => {
    const l = new Ledger()
    l.deposit('binance', 'USDT', dec(1000))
    l.deposit('kraken', 'USDT', dec(2000))
    l.deposit('kraken', 'DOGE', dec(50))
    l.applyFill(fill('buy', '1', '100', { venue: 'binance' }), BTC, 's1')
    l.applyFill(fill('buy', '2', '110', { venue: 'kraken' }), BTC, 's2')
    l.applyFill(fill('buy', '1', '10', { venue: 'kraken', inst: ETH }), ETH, 's2')
    expect(l.balance('binance', 'BTC').toString()).toBe('1')
    expect(l.balance('kraken', 'BTC').toString()).toBe('2')
    expect(l.balance('binance', 'USDT').toString()).toBe('900')
    expect(l.balance('kraken', 'USDT').toString()).toBe('1770')
    expect(l.balances('kraken').map((b) => b.asset)).toEqual(['USDT', 'DOGE', 'BTC', 'ETH'])

    l.mark('binance', 'BTC/USDT', 120)
    l.mark('kraken', 'BTC/USDT', 130)
    l.mark('binance', 'ETH/USDT', 12)
    const e = l.equity('USDT')
    expect(e.byVenue['binance']?.toString()).toBe('1020')
    // kraken: 1770 + 2 × 130 + 1 × 12 (binance's ETH mark); DOGE has no mark anywhere.
    expect(e.byVenue['kraken']?.toString()).toBe('2042')
    expect(e.total.toString()).toBe('3062')
    expect(e.unvalued).toEqual([{ venue: 'kraken', asset: 'DOGE', amount: dec(50) }])
    // DOGE never moved, so the identity still applies.
    const id = l.verify()
    expect(id.applicable).toBe(true)
    expect(id.left.toString()).toBe('62')
  })

  it('converts marks exactly through their shortest string', () => {
    const l = funded()
    l.mark('binance', 'BTC/USDT', 0.1)
    expect(l.markDecimal('binance', 'BTC/USDT')?.toString()).toBe('0.1')
    l.mark('binance', 'BTC/USDT', 0.30000000000000004)
    expect(l.markDecimal('binance', 'BTC/USDT')?.toString()).toBe('0.30000000000000004')
    expect(l.markDecimal('kraken', 'BTC/USDT')?.toString()).toBe('0.30000000000000004')
    expect(l.markDecimal('binance', 'ETH/USDT')).toBeUndefined()
    expect(() => l.mark('binance', 'BTC/USDT', Number.NaN)).toThrow(InvariantViolation)
    expect(() => l.mark('binance', 'BTC/USDT', 0)).toThrow(InvariantViolation)
  })

  it('reports unrealized as undefined without a mark and the identity as not applicable', () => {
    const l = funded()
    l.applyFill(fill('buy', '1', '100'), BTC, 's1')
    expect(l.unrealizedPnl('binance', 'BTC/USDT')).toBeUndefined()
    const id = l.accountIdentity()
    expect(id.applicable).toBe(false)
    expect(id.reason).toMatch(/no mark for BTC\/USDT/)
  })

  it('does not apply the account identity across quote currencies but still checks balances', () => {
    const l = new Ledger()
    l.deposit('binance', 'BTC', dec(1))
    l.applyFill(fill('buy', '2', '0.05', { inst: ETHBTC }), ETHBTC, 's1')
    l.mark('binance', 'ETH/BTC', 0.06)
    const id = l.verify('USDT')
    expect(id.applicable).toBe(false)
    expect(l.balance('binance', 'BTC').toString()).toBe('0.9')
    // In BTC it applies: 2 × 0.06 − 0.1.
    expect(l.verify('BTC').left.toString()).toBe('0.02')
  })

  it('withdraws from the starting point as well as the balance', () => {
    const l = funded()
    l.withdraw('binance', 'USDT', dec(400))
    expect(l.balanceIdentity('binance', 'USDT').initial.toString()).toBe('9600')
    expect(l.balance('binance', 'USDT').toString()).toBe('9600')
    expect(() => l.deposit('binance', 'USDT', dec(0))).toThrow(InvariantViolation)
  })
})

describe('Ledger strategies', () => {
  it('keeps each strategy its own average cost; total P&L adds up, realized alone need not', () => {
    const l = funded()
    l.applyFill(fill('buy', '1', '100'), BTC, 'a')
    l.applyFill(fill('buy', '1', '200'), BTC, 'b')
    l.applyFill(fill('sell', '1', '150'), BTC, 'a')
    expect(l.strategyPosition('a', 'binance', 'BTC/USDT').realizedPnl.toString()).toBe('50')
    expect(l.strategyPosition('b', 'binance', 'BTC/USDT').realizedPnl.toString()).toBe('0')
    // The account pooled both buys at 150.
    expect(l.position('binance', 'BTC/USDT').realizedPnl.toString()).toBe('0')
    l.mark('binance', 'BTC/USDT', 150)
    const a = l.unrealizedPnl('binance', 'BTC/USDT', 'a')!
    const b = l.unrealizedPnl('binance', 'BTC/USDT', 'b')!
    expect(a.toString()).toBe('0')
    expect(b.toString()).toBe('-50')
    expect(l.unrealizedPnl('binance', 'BTC/USDT')?.toString()).toBe('0')
    expect(l.strategies()).toEqual(['a', 'b'])
    expect(l.strategyPositions('b')).toHaveLength(1)
    l.verify()
  })

  it('sums totals by strategy, venue and symbol, and refuses to mix quote currencies', () => {
    const l = funded()
    l.deposit('binance', 'BTC', dec(10))
    l.applyFill(fill('buy', '1', '100', { fee: '0.1' }), BTC, 'a')
    l.applyFill(fill('buy', '1', '10', { inst: ETH, fee: '0.01' }), ETH, 'b')
    l.applyFill(fill('buy', '1', '0.05', { inst: ETHBTC, fee: '0.00005' }), ETHBTC, 'b')
    expect(l.totals({ strategyId: 'a' }).fees.toString()).toBe('0.1')
    expect(() => l.totals({ strategyId: 'b' })).toThrow(InputError)
    const usdt = l.totals({ quote: 'USDT' })
    expect(usdt.quote).toBe('USDT')
    expect(usdt.fills).toBe(2)
    expect(usdt.volume.toString()).toBe('110')
    expect(usdt.fees.toString()).toBe('0.11')
    expect(l.totals({ symbol: 'ETH/BTC' }).volume.toString()).toBe('0.05')
    expect(l.totals({ venue: 'kraken' }).quote).toBeUndefined()
    expect(l.position('kraken', 'SOL/USDT').amount.isZero()).toBe(true)
  })

  it('keeps only the most recent closing fills but counts them all', () => {
    const l = new Ledger({ maxClosedTrades: 3 })
    l.deposit('binance', 'USDT', dec(10_000))
    for (let i = 0; i < 10; i++) {
      l.applyFill(fill('buy', '1', '100'), BTC, 's1')
      l.applyFill(fill('sell', '1', i % 2 === 0 ? '101' : '99', { id: `close-${i}` }), BTC, 's1')
    }
    const closed = l.closedTrades()
    expect(closed.map((c) => c.tradeId)).toEqual(['close-7', 'close-8', 'close-9'])
    const t = l.totals({ strategyId: 's1' })
    expect(t.closingFills).toBe(10)
    expect(t.wins).toBe(5)
    expect(t.losses).toBe(5)
    expect(t.grossProfit.toString()).toBe('5')
    expect(t.grossLoss.toString()).toBe('5')
  })
})

describe('Ledger refuses impossible input', () => {
  const cases: [string, () => Trade][] = [
    ['zero amount', () => fill('buy', '0', '100')],
    ['negative amount', () => fill('buy', '-1', '100')],
    ['zero price', () => fill('buy', '1', '0')],
    ['cost not price × amount', () => fill('buy', '1', '100', { cost: '100.01' })],
  ]
  for (const [name, make] of cases) {
    it(`throws InvariantViolation on ${name} and changes nothing`, () => {
      const l = funded()
      expect(() => l.applyFill(make(), BTC, 's1')).toThrow(InvariantViolation)
      expect(l.balance('binance', 'USDT').toString()).toBe('10000')
      expect(l.positions()).toHaveLength(0)
    })
  }

  it('throws on a symbol that is not the instrument’s and on an empty strategy id', () => {
    const l = funded()
    expect(() => l.applyFill(fill('buy', '1', '100'), ETH, 's1')).toThrow(InvariantViolation)
    expect(() => l.applyFill(fill('buy', '1', '100'), BTC, '')).toThrow(InvariantViolation)
  })

  it('throws DuplicateFill on the same trade id on the same venue, not on another venue', () => {
    const l = funded()
    l.deposit('kraken', 'USDT', dec(1000))
    l.applyFill(fill('buy', '1', '100', { id: 'x' }), BTC, 's1')
    expect(() => l.applyFill(fill('buy', '1', '100', { id: 'x' }), BTC, 's1')).toThrow(DuplicateFill)
    l.applyFill(fill('buy', '1', '100', { id: 'x', venue: 'kraken' }), BTC, 's1')
    expect(l.balance('binance', 'BTC').toString()).toBe('1')
    expect(l.balance('kraken', 'BTC').toString()).toBe('1')
  })

  it('books both fills of a self-trade (one trade id, a buy and a sell) once each', () => {
    const l = funded()
    l.applyFill(fill('buy', '1', '100', { id: 'x' }), BTC, 's1')
    l.applyFill(fill('sell', '1', '100', { id: 'x' }), BTC, 's1')
    expect(() => l.applyFill(fill('sell', '1', '100', { id: 'x' }), BTC, 's1')).toThrow(DuplicateFill)
    expect(l.balance('binance', 'BTC').toString()).toBe('0')
  })
})

describe('Ledger.verify detects tampering', () => {
  function traded(): Ledger {
    const l = funded()
    l.applyFill(fill('buy', '2', '100', { fee: '0.2' }), BTC, 's1')
    l.applyFill(fill('sell', '0.5', '120', { fee: '0.06' }), BTC, 's2')
    l.mark('binance', 'BTC/USDT', 110)
    l.verify()
    return l
  }

  it('names the venue and asset of a tampered balance', () => {
    const l = traded()
    const acc = l['accounts'].get('binance\u0001BTC')!
    acc.total = acc.total.add('0.000000000000000001')
    expect(() => l.verify()).toThrow(/balance of BTC on binance/)
  })

  it('catches a position that no longer agrees with the balances', () => {
    const l = traded()
    const book = l['accountBooks'].get('binance\u0001BTC/USDT')!
    book.amount = book.amount.add(1)
    expect(() => l.verify()).toThrow(/fills in BTC on binance/)
  })

  it('catches a strategy book that no longer adds up to the account', () => {
    const l = traded()
    const book = l['strategyBooks'].get('s2\u0001binance\u0001BTC/USDT')!
    book.fees = book.fees.add(1)
    expect(() => l.verify()).toThrow(/BTC\/USDT on binance: account fees/)
  })

  it('catches realized P&L moved out of the cost basis through the account identity', () => {
    const l = traded()
    const book = l['accountBooks'].get('binance\u0001BTC/USDT')!
    book.realizedPnl = book.realizedPnl.add(1)
    expect(() => l.verify()).toThrow(InvariantViolation)
  })
})

describe('Ledger equity curve', () => {
  it('samples equity with the drawdown from the peak and the gross exposure', () => {
    const l = funded()
    l.applyFill(fill('buy', '10', '100'), BTC, 's1')
    const prices = [100, 110, 95, 120]
    prices.forEach((p, i) => {
      l.mark('binance', 'BTC/USDT', p)
      l.sampleEquity(i * 60_000)
    })
    const curve = l.equityCurve()
    expect(curve.map((c) => c.equity.toString())).toEqual(['10000', '10100', '9950', '10200'])
    expect(curve.map((c) => c.drawdown.toString())).toEqual(['0', '0', '150', '0'])
    expect(curve[2]?.grossExposure.toString()).toBe('950')
    expect(l.maxDrawdown().amount.toString()).toBe('150')
    expect(l.maxDrawdown().fraction).toBeCloseTo(150 / 10100, 15)
  })

  it('gives the very same equity and exposure while nothing moved, and the new ones as soon as a balance, a position or a mark does', () => {
    const l = funded()
    l.applyFill(fill('buy', '10', '100'), BTC, 's1')
    const steps: [string, () => void][] = [
      ['mark 101', () => l.mark('binance', 'BTC/USDT', 101)],
      ['nothing', () => {}],
      ['same mark again', () => l.mark('binance', 'BTC/USDT', 101)],
      ['a fill', () => l.applyFill(fill('sell', '4', '101', { fee: '0.5' }), BTC, 's1')],
      ['nothing', () => {}],
      ['mark 99.5', () => l.mark('binance', 'BTC/USDT', 99.5)],
      ['an ETH balance with no mark', () => l.deposit('binance', 'ETH', dec(3))],
      ['its mark', () => l.mark('binance', 'ETH/USDT', 2000)],
      ['a withdrawal', () => l.withdraw('binance', 'USDT', dec(1))],
      ['nothing', () => {}],
      ['a deposit', () => l.deposit('binance', 'USDT', dec(2))],
    ]
    steps.forEach(([, change], i) => {
      change()
      l.sampleEquity(i * 60_000)
    })
    const curve = l.equityCurve()
    expect(curve.map((c) => c.equity.toString())).toEqual(['10010', '10010', '10010', '10009.5', '10009.5', '10000.5', '10000.5', '16000.5', '15999.5', '15999.5', '16001.5'])
    expect(curve[1]!.equity).toBe(curve[0]!.equity)
    expect(curve[2]!.equity).toBe(curve[0]!.equity)
    expect(curve[4]!.equity).toBe(curve[3]!.equity)
    expect(curve.map((c) => c.grossExposure.toString())).toEqual(['1010', '1010', '1010', '606', '606', '597', '597', '597', '597', '597', '597'])
    expect(curve[1]!.grossExposure).toBe(curve[0]!.grossExposure)
    expect(curve.at(-1)!.equity.toString()).toBe(l.equity().total.toString())
  })
})

describe('Ledger.resetVenue', () => {
  it("forgets one venue's balances, books, closed trades and applied fills; rebuilt from the same records it equals a fresh ledger, and other venues are untouched", () => {
    const keep = [fill('buy', '1', '100', { venue: 'kraken' })]
    const real = [fill('buy', '2', '100', { fee: '0.2' }), fill('sell', '0.5', '120', { fee: '0.06' })]
    const simulated = [fill('buy', '3', '90'), fill('sell', '1', '95')]
    const build = (fills: Trade[]): Ledger => {
      const l = new Ledger()
      l.deposit('binance', 'USDT', dec(10_000))
      l.deposit('kraken', 'USDT', dec(500))
      for (const f of [...keep, ...fills]) l.applyFill(f, BTC, 's1')
      l.mark('binance', 'BTC/USDT', 110)
      l.mark('kraken', 'BTC/USDT', 110)
      return l
    }
    const l = build([...real, ...simulated])
    l.sampleEquity(1)
    const before = l.grossExposure().toString()
    l.resetVenue('binance')
    expect(l.balance('binance', 'USDT').toString()).toBe('0')
    expect(l.positionAmount('binance', 'BTC/USDT').toString()).toBe('0')
    expect(l.closedTrades().filter((t) => t.venue === 'binance')).toHaveLength(0)
    expect(figures(l.position('kraken', 'BTC/USDT'))).toEqual(figures(build([]).position('kraken', 'BTC/USDT')))
    // Rebuilt: the same fills may be applied again (they were forgotten), and the marks stayed.
    l.deposit('binance', 'USDT', dec(10_000))
    for (const f of real) l.applyFill(f, BTC, 's1')
    const fresh = build(real)
    expect(figures(l.position('binance', 'BTC/USDT'))).toEqual(figures(fresh.position('binance', 'BTC/USDT')))
    expect(figures(l.strategyPosition('s1', 'binance', 'BTC/USDT'))).toEqual(figures(fresh.strategyPosition('s1', 'binance', 'BTC/USDT')))
    expect(l.balances().map((b) => [b.venue, b.asset, b.total.toString()]).sort()).toEqual(fresh.balances().map((b) => [b.venue, b.asset, b.total.toString()]).sort())
    expect(l.equity().total.toString()).toBe(fresh.equity().total.toString())
    expect(l.grossExposure().toString()).toBe(fresh.grossExposure().toString())
    expect(l.grossExposure().toString()).not.toBe(before)
    l.sampleEquity(2)
    expect(l.equityCurve().at(-1)!.equity.toString()).toBe(fresh.equity().total.toString())
    l.verify()
    // A fill still applied once is refused a second time.
    expect(() => l.applyFill(real[0]!, BTC, 's1')).toThrow(DuplicateFill)
  })
})
