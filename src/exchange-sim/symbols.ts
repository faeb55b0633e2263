/**
 * @module exchange-sim/symbols
 * The simulator's symbols: the synthetic market's (BTC/USDT, ETH/USDT, SOL/USDT: price, tick, step, min
 * notional, spread and sizes), and a generic spec for any other `BASE/QUOTE`.
 */
import { DEFAULT_SYNTHETIC_SYMBOLS } from '../data/index.js'
import { parseSymbol } from '../model/index.js'
import type { SymbolSpec } from './exchange.js'

export function symbolSpec(symbol: string): SymbolSpec {
  parseSymbol(symbol)
  const known = DEFAULT_SYNTHETIC_SYMBOLS.find((s) => s.symbol === symbol)
  if (known !== undefined) {
    return {
      symbol,
      price: known.price,
      tickSize: known.tickSize,
      stepSize: known.stepSize,
      minCost: known.minCost ?? '5',
      spreadBps: known.spreadBps,
      topSize: known.topSize,
      tradeSize: known.tradeSize,
    }
  }
  return { symbol, price: 100, tickSize: '0.01', stepSize: '0.001', minCost: '5', spreadBps: 5, topSize: 50, tradeSize: 2 }
}

/** Starting balances when none are given: 100 000 of each quote and about as much of each base. */
export function defaultBalances(specs: readonly SymbolSpec[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const s of specs) {
    const { base, quote } = parseSymbol(s.symbol)
    out[quote] = '100000'
    out[base] = String(Math.max(1, Math.round(100_000 / s.price)))
  }
  return out
}
