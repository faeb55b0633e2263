/**
 * @module system/strategy-lines
 * Where a live session's strategies' own lines (`ctx.log`) go, bounded per strategy.
 */
/** Lines a strategy may write per strategy in each window before the rest of the window is only counted. */
export const STRATEGY_LINES_PER_WINDOW = 20
const STRATEGY_LINE_WINDOW_MS = 10_000

/**
 * A live session's sink for strategies' `ctx.log`: `id: message`, at most STRATEGY_LINES_PER_WINDOW lines per
 * strategy every 10 s of wall time (a strategy logging every denied quote must not flood the output); the
 * first line after a window that dropped some says how many.
 */
export function strategyLines(write: (line: string) => void, now: () => number = Date.now): (id: string, message: string) => void {
  const windows = new Map<string, { start: number; lines: number; dropped: number }>()
  return (id, message) => {
    const t = now()
    let w = windows.get(id)
    if (w === undefined || t - w.start >= STRATEGY_LINE_WINDOW_MS) {
      const dropped = w?.dropped ?? 0
      w = { start: t, lines: 0, dropped: 0 }
      windows.set(id, w)
      if (dropped > 0) write(`${id}: (${dropped} more lines in the last 10 s not shown)`)
    }
    if (w.lines >= STRATEGY_LINES_PER_WINDOW) {
      w.dropped++
      return
    }
    w.lines++
    write(`${id}: ${message}`)
  }
}
