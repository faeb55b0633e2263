/**
 * @module ops/pnl/csv
 * `sofia pnl export --csv`: one row per fill of the period, with standard column names (below). Money is
 * written exactly as stored or computed (decimal strings); `fee` is the fee as charged, in `fee_currency`;
 * `realized_pnl` is the fill's gross realized P&L in the symbol's quote currency (0 when it only opened or
 * added); `slippage_bps` is against the order's decision price, worse positive, rounded half-even to 6
 * decimals (empty when the order has no decision price).
 */
import { writeFile } from 'node:fs/promises'
import { Decimal } from '../../model/index.js'
import type { FillPnl } from './replay.js'
import { rowSlippageBps } from './pnl.js'

export const CSV_COLUMNS = [
  'timestamp',
  'venue',
  'symbol',
  'side',
  'price',
  'amount',
  'cost',
  'fee',
  'fee_currency',
  'strategy',
  'client_order_id',
  'trade_id',
  'realized_pnl',
  'slippage_bps',
] as const

/** RFC 4180 quoting where needed. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export function csvRow(r: FillPnl): string {
  const f = r.fill
  const slip = rowSlippageBps(r)
  return [
    new Date(f.timestamp).toISOString(),
    f.venue,
    f.symbol,
    f.side,
    f.price,
    f.amount,
    f.cost,
    f.feeCost,
    f.feeCurrency,
    f.strategyId,
    f.clientOrderId,
    f.tradeId,
    r.realizedPnl.toString(),
    slip === undefined ? '' : slip.toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN).toString(),
  ]
    .map(csvField)
    .join(',')
}

/** Writes the header and one line per fill; returns the number of rows. */
export async function writeFillsCsv(file: string, rows: readonly FillPnl[]): Promise<number> {
  const lines = [`${CSV_COLUMNS.join(',')}\n`]
  for (const r of rows) lines.push(`${csvRow(r)}\n`)
  await writeFile(file, lines.join(''), 'utf8')
  return rows.length
}
