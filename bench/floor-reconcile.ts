/**
 * @module bench/floor-reconcile
 * The floor of `sofia reconcile` on two CCXT JSONL files, for bench/reconcile: `node floor-reconcile.js A B`
 * reads both files in 1 MB chunks, as the reader does, and `JSON.parse`s every line in a bare loop (no check
 * of the fields, no matching, no report): what any reconcile of these files must do at the least, on one core.
 * Prints {records, elapsedMs, peakRssMb} as JSON.
 */
import { createReadStream } from 'node:fs'

const files = process.argv.slice(2)
if (files.length === 0) throw new Error('usage: floor-reconcile FILE...')
const started = performance.now()
let records = 0
for (const file of files) {
  let carry = ''
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carry + (chunk as string)
    let from = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      if (nl > from && JSON.parse(text.slice(from, nl)) !== null) records++
      from = nl + 1
    }
    carry = text.slice(from)
  }
  if (carry.trim() !== '' && JSON.parse(carry) !== null) records++
}
const elapsedMs = performance.now() - started
process.stdout.write(`${JSON.stringify({ records, elapsedMs: Math.round(elapsedMs), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`)
