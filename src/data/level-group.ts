/**
 * @module data/level-group
 * One book update gathered from consecutive rows of a level-per-row depth file (Binance depth, Tardis
 * incremental_book_L2): the rows' levels by price, a repeated price keeping its last size.
 */
import type { BookLevel, BookUpdate } from '../model/index.js'

export interface LevelGroup {
  venue: string
  symbol: string
  snapshot: boolean
  timestamp: number
  /** Line of the group's first row. */
  line: number
  /** price → size. */
  bids: Map<number, number>
  asks: Map<number, number>
}

/**
 * The group as a BookUpdate, levels sorted into the model's order (bids high to low, asks low to high);
 * with `dropEmpty` the zero-size levels are left out.
 */
export function levelGroupUpdate(g: LevelGroup, dropEmpty: boolean): BookUpdate {
  const levels = (side: Map<number, number>): BookLevel[] => (dropEmpty ? [...side].filter(([, a]) => a > 0) : [...side])
  const bids = levels(g.bids).sort((x, y) => y[0] - x[0])
  const asks = levels(g.asks).sort((x, y) => x[0] - y[0])
  return { kind: 'book', venue: g.venue, symbol: g.symbol, timestamp: g.timestamp, snapshot: g.snapshot, bids, asks }
}
