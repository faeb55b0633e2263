/**
 * @module bench/reconcile
 * Reconciliation throughput: a million internal fills against a million exchange trades, 1% of them made
 * wrong (deleted, added, repeated, re-priced, re-sized, fee or side changed, or renamed so only the order-id
 * fallback can match them), generated from a seeded PRNG.
 *
 * The section measures the user's path (benchReconcileFiles): the two sides written as CCXT JSONL files
 * (untimed), then `sofia reconcile --internal-file --exchange-file` run as a child process, timed from spawn
 * to exit, its peak RSS its own. It also keeps the older in-memory figure (benchReconcile, labelled
 * `in_memory_*`): `reconcile` alone over two arrays of records already built, in a child process too.
 *
 * Run alone: `npx tsc -p tsconfig.build.json && node dist/bench/reconcile.js [fills]` (the in-memory figure).
 */
import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Prng } from '../src/engine/index.js'
import { reconcile } from '../src/reconcile/index.js'
import type { TradeRecord } from '../src/reconcile/index.js'
import { runAsScript } from './script.js'

export interface ReconcileBench {
  readonly fills: number
  readonly seconds: number
  readonly fills_per_s: number
  /** Peak RSS of a process that only builds the input and reconciles it (earlier bench sections excluded). */
  readonly peak_rss_mb: number
  /** RSS holding the two inputs alone (after a GC, before reconcile): what the records themselves take. */
  readonly input_rss_mb: number
  readonly discrepancies: number
  /** Discrepancies injected (a repeat or a rename counts one; the report must find each). */
  readonly injected: number
}

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT']
const BASE_PRICE = [3_000_000, 200_000, 10_000, 50] // cents

/** An integer `n` shown with `scale` decimals, exactly. */
function scaled(n: number, scale: number): string {
  const digits = String(Math.abs(n)).padStart(scale + 1, '0')
  return `${n < 0 ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

interface Raw {
  id: number
  order: number
  ts: number
  symbol: number
  buy: boolean
  cents: number
  micros: number
}

function record(r: Raw, tag: string, priceCents = r.cents, micros = r.micros, feeExtra = 0, buy = r.buy, id = `${tag}${r.id}`): TradeRecord {
  const product = priceCents * micros // cost × 1e8, exact below 2^53
  const fee = r.cents * r.micros + feeExtra // the fee as first charged: a changed price or amount leaves it alone
  return {
    venue: 'binance',
    id,
    order: `${r.order}`,
    clientOrderId: `grid-${r.order}`,
    timestamp: r.ts,
    symbol: SYMBOLS[r.symbol] as string,
    side: buy ? 'buy' : 'sell',
    price: scaled(priceCents, 2),
    amount: scaled(micros, 6),
    cost: scaled(product, 8),
    fee: { cost: scaled(fee, 11), currency: 'USDT' },
  }
}

/** The two sides, and how many discrepancies were injected. */
export function reconcileData(fills: number, seed = 7, rate = 0.01): { internal: TradeRecord[]; exchange: TradeRecord[]; injected: number } {
  const prng = new Prng(seed)
  const internal: TradeRecord[] = []
  const exchange: TradeRecord[] = []
  let injected = 0
  let ts = Date.UTC(2025, 0, 1)
  for (let i = 0; i < fills; i++) {
    ts += 1 + (prng.nextUint32() % 50)
    const symbol = prng.nextUint32() % SYMBOLS.length
    const base = BASE_PRICE[symbol] as number
    const raw: Raw = {
      id: 100_000_000 + i,
      order: 5_000_000 + (i >> 1),
      ts,
      symbol,
      buy: prng.next() < 0.5,
      cents: base + (prng.nextUint32() % Math.max(1, base >> 6)),
      micros: 1 + (prng.nextUint32() % 2_000_000),
    }
    internal.push(record(raw, ''))
    if (prng.next() >= rate) {
      exchange.push(record(raw, ''))
      continue
    }
    injected++
    switch (prng.nextUint32() % 8) {
      case 0: // the exchange never saw it
        break
      case 1: // a trade Sofia missed, next to a good one
        exchange.push(record(raw, ''))
        exchange.push(record({ ...raw, id: raw.id + 900_000_000 }, ''))
        break
      case 2:
        exchange.push(record(raw, ''))
        exchange.push(record(raw, ''))
        break
      case 3:
        exchange.push(record(raw, '', Math.round(raw.cents * 1.01) + 1))
        break
      case 4:
        exchange.push(record(raw, '', raw.cents, raw.micros + 1))
        break
      case 5:
        exchange.push(record(raw, '', raw.cents, raw.micros, 1))
        break
      case 6:
        exchange.push(record(raw, '', raw.cents, raw.micros, 0, !raw.buy))
        break
      default: // renamed: matched by (order, time, amount), so not a discrepancy
        injected--
        exchange.push(record(raw, 'x'))
    }
  }
  return { internal, exchange, injected }
}

/**
 * Runs the benchmark in a process of its own (`node --expose-gc dist/bench/reconcile.js`), so that its peak RSS is
 * its own and not that of the bench sections run before it in the same process.
 */
export async function benchReconcileIsolated(fills = 1_000_000): Promise<ReconcileBench> {
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const script = fileURLToPath(import.meta.url)
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', script, String(fills)], { maxBuffer: 1 << 20 }, (error, stdout) => (error !== null ? reject(error) : resolve(stdout)))
  })
  return JSON.parse(out) as ReconcileBench
}

export async function benchReconcile(fills = 1_000_000): Promise<ReconcileBench> {
  const { internal, exchange, injected } = reconcileData(fills)
  ;(globalThis as { gc?: () => void }).gc?.()
  const inputRss = process.memoryUsage().rss
  const t0 = performance.now()
  const report = await reconcile(internal, exchange, { now: () => 0 })
  const seconds = (performance.now() - t0) / 1000
  return {
    fills,
    seconds: Math.round(seconds * 1000) / 1000,
    fills_per_s: Math.round(fills / seconds),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    input_rss_mb: Math.round(inputRss / 1_048_576),
    discrepancies: report.counts.discrepancies,
    injected,
  }
}

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const FLOOR = fileURLToPath(new URL('./floor-reconcile.js', import.meta.url))
const USAGE = fileURLToPath(new URL('./child-usage.js', import.meta.url))

/** Writes records as JSON lines, in slices so the text of a million never exists at once. */
async function writeJsonl(path: string, records: readonly TradeRecord[]): Promise<void> {
  const out = createWriteStream(path)
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve)
    out.on('error', reject)
  })
  for (let i = 0; i < records.length; i += 10_000) {
    const text = `${records
      .slice(i, i + 10_000)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  out.end()
  await done
}

export interface ReconcileFilesBench {
  readonly fills: number
  readonly exchange_trades: number
  /** Wall time of `sofia reconcile`, spawn to exit (Node's start-up included): what a user waits. */
  readonly seconds: number
  readonly fills_per_s: number
  readonly peak_rss_mb: number
  readonly internal_file_mb: number
  readonly exchange_file_mb: number
  readonly discrepancies: number
  readonly injected: number
  /** How many runs the best of was taken (each a fresh process). */
  readonly runs: number
  /**
   * The floor, in the same run: both files read and every line `JSON.parse`d in a bare loop, spawn to exit
   * (bench/floor-reconcile.ts, one core), best of as many runs. `vs_floor` is Sofia's wall time over it.
   */
  readonly floor_seconds: number
  readonly floor_fills_per_s: number
  readonly vs_floor: number
}

interface CommandRun {
  readonly wallMs: number
  readonly peakRssMb: number
}

/** One `sofia reconcile` of the two files, in a child process; its report goes to `reportFile`. */
async function reconcileCommand(dir: string, internalFile: string, exchangeFile: string, reportFile: string): Promise<CommandRun> {
  const usageFile = join(dir, 'usage.json')
  const args = ['--import', USAGE, CLI, 'reconcile', '--internal-file', internalFile, '--exchange-file', exchangeFile, '--no-halt', '--data-dir', join(dir, 'var'), '--out', reportFile]
  const t0 = performance.now()
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, args, { env: { ...process.env, SOFIA_BENCH_USAGE: usageFile }, maxBuffer: 1 << 24 }, (error) => {
      // Exit 1 says "discrepancies found", which this data has by design; anything else is a failure.
      if (error !== null && error.code !== 1) reject(error)
      else resolve()
    })
  })
  const wallMs = performance.now() - t0
  const usage = JSON.parse(await readFile(usageFile, 'utf8')) as { peakRssMb: number }
  return { wallMs, peakRssMb: usage.peakRssMb }
}

/**
 * The user's path: both sides written to JSONL files (untimed), then `sofia reconcile` on them in a child
 * process, `runs` times; the fastest run is reported with its own peak RSS.
 */
export async function benchReconcileFiles(fills = 1_000_000, runs = 2): Promise<ReconcileFilesBench> {
  const dir = await mkdtemp(join(tmpdir(), 'sofia-bench-reconcile-'))
  try {
    const internalFile = join(dir, 'internal.jsonl')
    const exchangeFile = join(dir, 'exchange.jsonl')
    const reportFile = join(dir, 'report.json')
    let injected: number
    let exchangeTrades: number
    {
      const data = reconcileData(fills)
      await writeJsonl(internalFile, data.internal)
      await writeJsonl(exchangeFile, data.exchange)
      injected = data.injected
      exchangeTrades = data.exchange.length
    }
    let best: CommandRun | undefined
    for (let i = 0; i < runs; i++) {
      const run = await reconcileCommand(dir, internalFile, exchangeFile, reportFile)
      if (best === undefined || run.wallMs < best.wallMs) best = run
    }
    let floorMs = Infinity
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [FLOOR, internalFile, exchangeFile], { maxBuffer: 1 << 20 }, (error, stdout) => (error !== null ? reject(error) : resolve(stdout)))
      })
      floorMs = Math.min(floorMs, performance.now() - t0)
      const { records } = JSON.parse(out) as { records: number }
      if (records !== fills + exchangeTrades) throw new Error(`floor read ${records} records, expected ${fills + exchangeTrades}`)
    }
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { counts: { discrepancies: number }; inputs: { internal: { records: number } } }
    if (report.inputs.internal.records !== fills) throw new Error(`reconcile read ${report.inputs.internal.records} fills, expected ${fills}`)
    const mb = async (file: string): Promise<number> => Math.round((await stat(file)).size / 1_048_576)
    const seconds = best!.wallMs / 1000
    return {
      fills,
      exchange_trades: exchangeTrades,
      seconds: Math.round(seconds * 1000) / 1000,
      fills_per_s: Math.round(fills / seconds),
      peak_rss_mb: best!.peakRssMb,
      internal_file_mb: await mb(internalFile),
      exchange_file_mb: await mb(exchangeFile),
      discrepancies: report.counts.discrepancies,
      injected,
      runs,
      floor_seconds: Math.round(floorMs) / 1000,
      floor_fills_per_s: Math.round((fills / floorMs) * 1000),
      vs_floor: Math.round((best!.wallMs / floorMs) * 100) / 100,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The section of `npm run bench`: the user's path from files, then the in-memory figure, labelled. */
export async function benchReconcileSection(fills = 1_000_000): Promise<Record<string, number>> {
  const files = await benchReconcileFiles(fills)
  const memory = await benchReconcileIsolated(fills)
  return {
    ...files,
    in_memory_seconds: memory.seconds,
    in_memory_fills_per_s: memory.fills_per_s,
    in_memory_peak_rss_mb: memory.peak_rss_mb,
    in_memory_input_rss_mb: memory.input_rss_mb,
  }
}

runAsScript(import.meta.url, (fills) => benchReconcile(fills))
