/**
 * @module venues/ccxt-stream-errors
 * ccxt.pro rejects the futures of a WebSocket client when its connection drops (`connection closed by remote
 * server, closing code 1006`), including futures that no caller awaits any more. Unhandled, such a rejection
 * ends the Node process: a dropped stream would then kill a live session instead of being reconnected (the
 * stream loops of the adapter and the feed already reconnect and backfill over REST). So, once per process,
 * rejections that are ccxt network errors are reported instead; every other unhandled rejection still ends
 * the process as Node's default does.
 */
import { NetworkError } from 'ccxt'

let installed = false
const reporters = new Set<(line: string) => void>()

/** Installs the handler (once) and adds `report` as a place the swallowed errors are told to. */
export function tolerateCcxtStreamErrors(report?: (line: string) => void): void {
  if (report !== undefined) reporters.add(report)
  if (installed) return
  installed = true
  process.on('unhandledRejection', (reason: unknown) => {
    if (reason instanceof NetworkError) {
      for (const r of reporters) r(`exchange stream: ${reason.message} (the stream reconnects)`)
      return
    }
    throw reason
  })
}
