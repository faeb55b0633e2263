/**
 * @module data/read-stats
 * Counters a reader fills in while it runs, so a CLI can say "read 12,477 rows, skipped 3 bad" after a run
 * without a second pass over the file.
 */

/** How many bad-row messages are kept: enough to diagnose a file, bounded for a file that is all bad. */
export const MAX_BAD_ROW_MESSAGES = 10

export interface ReadStats {
  /** Data rows (CSV lines after the header, or JSON array records) looked at, bad ones included. */
  readonly rows: number
  /** Events handed to the consumer (after the from/to filter). */
  readonly events: number
  /** Rows skipped as bad (only with `skipBadRows`). */
  readonly badRows: number
  /** The first few bad-row messages, each one line naming file, line or record, and field. */
  readonly badRowMessages: readonly string[]
  /** Good rows dropped by the `from`/`to` filter. */
  readonly filteredOut: number
}

/** The writable view readers use; callers see `ReadStats`. */
export interface MutableReadStats {
  rows: number
  events: number
  badRows: number
  badRowMessages: string[]
  filteredOut: number
}

export function createReadStats(): MutableReadStats {
  return { rows: 0, events: 0, badRows: 0, badRowMessages: [], filteredOut: 0 }
}

/** Clears the counters in place (a source re-read from the start counts afresh; holders keep their reference). */
export function resetReadStats(stats: MutableReadStats): void {
  stats.rows = 0
  stats.events = 0
  stats.badRows = 0
  stats.badRowMessages = []
  stats.filteredOut = 0
}
