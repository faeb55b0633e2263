/**
 * @module bench/child-usage
 * Preloaded into a command a bench section times (`node --import dist/bench/child-usage.js dist/src/cli/main.js …`):
 * when the process exits, writes its peak RSS and uptime as JSON to the file named by SOFIA_BENCH_USAGE, so a
 * bench measures the command exactly as a user runs it (Node reports no peak RSS of a child to its parent).
 */
import { writeFileSync } from 'node:fs'

const file = process.env['SOFIA_BENCH_USAGE']
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    const usage = { peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), uptimeMs: Math.round(process.uptime() * 1000) }
    writeFileSync(file, JSON.stringify(usage))
  })
}
