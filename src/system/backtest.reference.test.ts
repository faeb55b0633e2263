/**
 * @module system/backtest.reference.test
 * A trading-heavy backtest (the market maker quoting 4 bps wide on the synthetic market, a fill every few dozen
 * events) checked exactly against a slow reference path (#16): every fill the run published is replayed into
 * plain per-asset balances in wide precision, with no ledger, no position book and no equity curve, and the
 * report's money must come out digit for digit the same. Whatever the hot paths skip or cache, the money may not
 * move.
 */
import { describe, expect, it } from 'vitest'
import { Decimal, type Trade } from '../model/index.js'
import { buildSession } from './build-session.js'
import { resultOf } from './backtest.js'

/** Wide enough that the reference never rounds. */
const Wide = Decimal.clone({ precision: 400 })

const MAKER = [{ name: 'market-maker', params: { venue: 'alpha', symbol: 'BTC/USDT', amount: '0.01', spreadBps: '4' } }]

describe('a trading-heavy backtest against a slow reference', () => {
  it('reports the P&L, equity, fees, volume and balances that a plain replay of its fills gives', async () => {
    const events = 40_000
    const session = await buildSession({ kind: 'backtest', data: ['synthetic'], syntheticEvents: events, seed: 16, strategies: MAKER })
    const trades: Trade[] = []
    session.subscribe('fill', ({ trade }) => trades.push(trade))
    const { stats } = await session.start()
    const { report, trader } = resultOf(session, stats, { seed: 16, monitors: [] })
    expect(stats.events).toBe(events)
    // Trading-heavy: at least 2% of the events fill (the bar for the market-maker workload).
    expect(trades.length).toBeGreaterThan(events * 0.02)
    expect(report.fills).toBe(trades.length)

    // The slow path: balances from the starting deposits and each fill, price × amount recomputed.
    const balances = new Map<string, Decimal>()
    const key = (venue: string, asset: string): string => `${venue} ${asset}`
    const move = (venue: string, asset: string, by: Decimal): void => {
      balances.set(key(venue, asset), (balances.get(key(venue, asset)) ?? new Wide(0)).add(by))
    }
    for (const b of report.balances) move(b.venue, b.asset, new Wide(b.initial))
    let fees: Decimal = new Wide(0)
    let volume: Decimal = new Wide(0)
    for (const t of trades) {
      const [base, quote] = t.symbol.split('/') as [string, string]
      const cost = new Wide(t.price).mul(t.amount)
      expect(t.cost.eq(cost)).toBe(true)
      move(t.venue, base, t.side === 'buy' ? new Wide(t.amount) : new Wide(t.amount).neg())
      move(t.venue, quote, t.side === 'buy' ? cost.neg() : cost)
      move(t.venue, t.fee.currency, new Wide(t.fee.cost).neg())
      // Fees in the quote only, so their value is their amount (the simulator charges the quote).
      expect(t.fee.currency).toBe(quote)
      fees = fees.add(t.fee.cost)
      volume = volume.add(cost)
    }
    for (const b of report.balances) expect(`${b.venue} ${b.asset} ${b.total}`).toBe(`${b.venue} ${b.asset} ${balances.get(key(b.venue, b.asset))!.toString()}`)

    // Equity and net P&L at the final marks: Σ balance × mark of ASSET/USDT on its venue, against the same
    // deposits at the same marks.
    const value = (venue: string, asset: string, amount: Decimal): Decimal => {
      if (asset === 'USDT') return amount
      const mark = trader.ledger.markPrice(venue, `${asset}/USDT`)
      expect(mark, `${asset}/USDT on ${venue}`).toBeDefined()
      return amount.mul(new Wide(mark!))
    }
    let equity: Decimal = new Wide(0)
    let initialEquity: Decimal = new Wide(0)
    for (const b of report.balances) {
      equity = equity.add(value(b.venue, b.asset, balances.get(key(b.venue, b.asset))!))
      initialEquity = initialEquity.add(value(b.venue, b.asset, new Wide(b.initial)))
    }
    expect(report.finalEquity).toBe(equity.toString())
    expect(report.netPnl).toBe(equity.sub(initialEquity).toString())
    expect(report.fees).toBe(fees.toString())
    expect(report.volume).toBe(volume.toString())
    expect(new Wide(report.realizedPnl).add(report.unrealizedPnl).sub(report.fees).toString()).toBe(report.netPnl)
  })
})
