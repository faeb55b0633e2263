/**
 * @module bench/api
 * The operator API under load, with a paper session trading inside the `sofia serve` process (started as a
 * child, as users run it): GET /health and GET /risk/status at a fixed rate (default 2,000 req/s for 5 s
 * each) from an open-loop load generator on loopback (keep-alive agent, bounded count and time), then the
 * kill switch through the API: activation → every open order cancelled on the simulated exchange (the
 * venue acknowledges cancels after the paper session's 20 ms latency), measured over 50 activations.
 * Targets: p99 ≤ 5 ms and no errors for the reads; p99 ≤ 50 ms for the kill switch.
 *
 * `node dist/bench/api.js [--rate 2000] [--seconds 5] [--rounds 50]` runs it alone.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))

interface LoadResult {
  readonly requests: number
  readonly errors: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  readonly achievedRps: number
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d

function once(agent: Agent, url: URL, method: string, token: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) },
        timeout: 5_000,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(body)
  })
}

/** Sends `rate` requests per second for `seconds` (open loop: the schedule does not wait for answers). */
async function load(base: string, path: string, token: string, rate: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const url = new URL(path, base)
  const total = Math.round(rate * seconds)
  const latencies: number[] = []
  let errors = 0
  let failed = 0
  let sent = 0
  const inflight = new Set<Promise<void>>()
  const started = performance.now()
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1)
      while (sent < due) {
        sent++
        const t0 = performance.now()
        const p = once(agent, url, 'GET', token).then(
          (r) => {
            latencies.push(performance.now() - t0)
            if (r.status !== 200) errors++
          },
          () => {
            failed++
          },
        )
        inflight.add(p)
        void p.finally(() => inflight.delete(p))
      }
      if (sent >= total || performance.now() - started > seconds * 1000 + 2_000) resolve()
      else setImmediate(tick)
    }
    tick()
  })
  await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, 10_000))])
  const elapsed = (performance.now() - started) / 1000
  const unanswered = sent - latencies.length - failed
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    requests: sent,
    errors: errors + failed + unanswered + (total - sent),
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
    achievedRps: Math.round(latencies.length / elapsed),
  }
}

async function openOrders(agent: Agent, base: string, token: string): Promise<number> {
  const r = await once(agent, new URL('/orders', base), 'GET', token)
  return (JSON.parse(r.body) as { count: number }).count
}

async function killSwitchRounds(base: string, token: string, rounds: number): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; rounds: number; failures: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  const samples: number[] = []
  let failures = 0
  const waitUntil = async (predicate: (n: number) => boolean, timeoutMs: number, pauseMs: number): Promise<boolean> => {
    const deadline = performance.now() + timeoutMs
    while (performance.now() < deadline) {
      if (predicate(await openOrders(agent, base, token))) return true
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs))
    }
    return false
  }
  for (let i = 0; i < rounds; i++) {
    if (!(await waitUntil((n) => n > 0, 10_000, 10))) {
      failures++
      continue
    }
    const t0 = performance.now()
    const r = await once(agent, new URL('/kill-switch/activate', base), 'POST', token, JSON.stringify({ reason: `bench round ${i}` }))
    if (r.status !== 200 || !(await waitUntil((n) => n === 0, 5_000, 0))) failures++
    else samples.push(performance.now() - t0)
    const back = await once(agent, new URL('/kill-switch/deactivate', base), 'POST', token, JSON.stringify({ reason: `bench round ${i} done` }))
    if (back.status !== 200) failures++
  }
  agent.destroy()
  samples.sort((a, b) => a - b)
  return { p50Ms: round(quantile(samples, 0.5)), p99Ms: round(quantile(samples, 0.99)), maxMs: round(samples[samples.length - 1] ?? Number.NaN), rounds: samples.length, failures }
}

export async function benchApi(opts: { rate?: number; seconds?: number; rounds?: number } = {}): Promise<Record<string, number>> {
  const rate = opts.rate ?? 2_000
  const seconds = opts.seconds ?? 5
  const rounds = opts.rounds ?? 50
  const dir = mkdtempSync(join(tmpdir(), 'sofia-bench-api-'))
  const env: NodeJS.ProcessEnv = { ...process.env, SOFIA_HOME: dir }
  delete env['DATABASE_URL']
  const created = spawnSync(process.execPath, [CLI, 'tokens', 'create', '--name', 'bench', '--role', 'operator', '--json', '--data-dir', dir], { encoding: 'utf8', env })
  if (created.status !== 0) throw new Error(`sofia tokens create failed: ${created.stderr}`)
  const token = (JSON.parse(created.stdout) as { token: string }).token
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dir, '--step-ms', '20', '--rate-limit', '0'], { cwd: dir, env })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const line = out.split('\n')[0]
        if (out.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { url: string }).url)
      })
      child.on('exit', (code) => reject(new Error(`sofia serve exited with ${code}`)))
    })
    // Let the session start trading and the JIT warm up before measuring.
    await load(base, '/health', token, 500, 1)
    await load(base, '/risk/status', token, 500, 1)
    const health = await load(base, '/health', token, rate, seconds)
    const risk = await load(base, '/risk/status', token, rate, seconds)
    const ks = await killSwitchRounds(base, token, rounds)
    return {
      rate_rps: rate,
      seconds,
      health_requests: health.requests,
      health_rps: health.achievedRps,
      health_p50_ms: health.p50Ms,
      health_p99_ms: health.p99Ms,
      health_max_ms: health.maxMs,
      health_errors: health.errors,
      risk_status_requests: risk.requests,
      risk_status_rps: risk.achievedRps,
      risk_status_p50_ms: risk.p50Ms,
      risk_status_p99_ms: risk.p99Ms,
      risk_status_max_ms: risk.maxMs,
      risk_status_errors: risk.errors,
      kill_switch_rounds: ks.rounds,
      kill_switch_failures: ks.failures,
      kill_switch_cancel_all_p50_ms: ks.p50Ms,
      kill_switch_cancel_all_p99_ms: ks.p99Ms,
      kill_switch_cancel_all_max_ms: ks.maxMs,
    }
  } finally {
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string): number | undefined => {
    const at = process.argv.indexOf(name)
    return at >= 0 ? Number(process.argv[at + 1]) : undefined
  }
  const rate = arg('--rate')
  const seconds = arg('--seconds')
  const rounds = arg('--rounds')
  const result = await benchApi({ ...(rate !== undefined ? { rate } : {}), ...(seconds !== undefined ? { seconds } : {}), ...(rounds !== undefined ? { rounds } : {}) })
  for (const [k, v] of Object.entries(result)) process.stdout.write(`  ${k.padEnd(34)} ${String(v)}\n`)
}
