/**
 * @module bench/cluster
 * Global halt latency: three `sofia serve --nats` paper nodes on a nats-server of the bench's own (JetStream,
 * a temporary store). Each round trips the kill switch on node a through its operator API and waits until the
 * other two have halted, then deactivates it on node a and waits until both have resumed. The delay of each
 * halt is what the halted node reports on `sofia.cluster.<node>.kill_switch` (from node a's trip to its own
 * halt, both on this machine's clock); the round trip is timed here, from the POST to the second message.
 *
 * Market data fan-out: market events published the way `--market-data publish` does, received by the feed a
 * `--market-data nats` session runs on (JetStream, an ordered consumer), beside the floor of the same messages
 * over plain NATS publish/subscribe in the same run.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from '@nats-io/transport-node'
import type { NodeKillSwitchMessage } from '../src/cluster/node.js'
import { NatsFeed, ensureMarketStream, marketSubject } from '../src/cluster/market-data.js'
import type { MarketEvent } from '../src/model/index.js'

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench cluster: ${what} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

export async function benchCluster(opts: { rounds?: number } = {}): Promise<Record<string, number>> {
  const rounds = opts.rounds ?? 100
  const dir = mkdtempSync(join(tmpdir(), 'sofia-bench-cluster-'))
  const procs: ChildProcess[] = []
  const env: NodeJS.ProcessEnv = { ...process.env, SOFIA_HOME: dir, SOFIA_DEBUG: '' }
  delete env['DATABASE_URL']
  const server = await ownNats(dir)
  const natsUrl = server.url
  try {
    const nc = await connect({ servers: natsUrl })
    const messages: NodeKillSwitchMessage[] = []
    const sub = nc.subscribe('sofia.cluster.*.kill_switch')
    void (async () => {
      for await (const m of sub) messages.push(m.json<NodeKillSwitchMessage>())
    })()
    const urls: string[] = []
    let token = ''
    for (const name of ['a', 'b', 'c']) {
      const home = join(dir, name)
      mkdirSync(home)
      if (name === 'a') {
        const created = spawnSync(process.execPath, [CLI, 'tokens', 'create', '--name', 'bench', '--role', 'operator', '--json', '--data-dir', join(home, 'var')], { encoding: 'utf8', env, cwd: home })
        if (created.status !== 0) throw new Error(`sofia tokens create failed: ${created.stderr}`)
        token = (JSON.parse(created.stdout) as { token: string }).token
      }
      const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', join(home, 'var'), '--rate-limit', '0', '--nats', natsUrl, '--node-id', `bench-${name}`], { cwd: home, env })
      procs.push(child)
      urls.push(
        await new Promise<string>((resolve, reject) => {
          let out = ''
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString()
            const line = out.split('\n')[0]
            if (out.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { url: string }).url)
          })
          child.on('exit', (code) => reject(new Error(`sofia serve (node ${name}) exited with ${code}`)))
        }),
      )
    }
    const post = async (path: string, reason: string): Promise<void> => {
      const res = await fetch(urls[0]! + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason }) })
      if (res.status !== 200) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`)
    }
    const applied = (action: string, since: number): NodeKillSwitchMessage[] => messages.slice(since).filter((m) => m.action === action && m.from === 'bench-a')
    const delays: number[] = []
    const roundTrips: number[] = []
    for (let round = 0; round < rounds; round++) {
      let since = messages.length
      const started = performance.now()
      await post('/kill-switch/activate', `bench round ${round}`)
      await until(() => applied('activated', since).length === 2, 5_000, `round ${round}: both other nodes halted`)
      roundTrips.push(performance.now() - started)
      for (const m of applied('activated', since)) delays.push(m.delayMs!)
      since = messages.length
      await post('/kill-switch/deactivate', `bench round ${round} done`)
      await until(() => applied('deactivated', since).length === 2, 5_000, `round ${round}: both other nodes resumed`)
    }
    await nc.close()
    delays.sort((a, b) => a - b)
    roundTrips.sort((a, b) => a - b)
    const r1 = (x: number): number => Math.round(x * 10) / 10
    return {
      nodes: 3,
      rounds,
      halts_measured: delays.length,
      halt_delay_p50_ms: r1(quantile(delays, 0.5)),
      halt_delay_p99_ms: r1(quantile(delays, 0.99)),
      halt_delay_max_ms: r1(delays[delays.length - 1] ?? Number.NaN),
      api_to_both_halted_p50_ms: r1(quantile(roundTrips, 0.5)),
      api_to_both_halted_p99_ms: r1(quantile(roundTrips, 0.99)),
    }
  } finally {
    for (const p of procs.reverse()) await stopChild(p)
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Stops a child the bench started: SIGTERM, then SIGKILL when it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))])
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

/** A nats-server of the bench's own on a free port with a temporary store; returns its URL and how to stop it. */
export async function ownNats(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort()
  mkdirSync(join(dir, 'nats'), { recursive: true })
  const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'nats')], { stdio: 'ignore' })
  await until(() => listening(port), 10_000, 'nats-server listening')
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
    },
  }
}

export async function benchClusterMarketData(opts: { events?: number } = {}): Promise<Record<string, number>> {
  const count = opts.events ?? 200_000
  const dir = mkdtempSync(join(tmpdir(), 'sofia-bench-md-'))
  const server = await ownNats(dir)
  const nc = await connect({ servers: server.url })
  try {
    await ensureMarketStream(nc)
    // Book snapshots of ten levels and trades, alternating: what an exchange feed delivers.
    const level = (i: number, side: number): [number, number] => [50_000 + side * (i + 1) * 0.5, 0.1 + i / 100]
    const book = (ts: number): MarketEvent => ({ kind: 'book', venue: 'xsim', symbol: 'BTC/USDT', timestamp: ts, snapshot: true, bids: [...Array(10).keys()].map((i) => level(i, -1)), asks: [...Array(10).keys()].map((i) => level(i, 1)) })
    const trade = (ts: number): MarketEvent => ({ kind: 'trade', venue: 'xsim', symbol: 'BTC/USDT', timestamp: ts, price: 50_000.5, amount: 0.012 })
    const subject = marketSubject('xsim', 'BTC/USDT')
    const bytes = { n: 0 }

    // JetStream: the session's own feed class on the receiving end.
    const feed = new NatsFeed({ servers: server.url, venue: 'xsim', symbols: ['BTC/USDT'] })
    let received = 0
    const reading = (async () => {
      for await (const batch of feed) {
        received += batch.length
        if (received >= count + 1) break
      }
    })()
    // Once the consumer is there (it sees new events only), one warm-up event at a time until one arrives.
    while (received === 0) {
      nc.publish(subject, JSON.stringify(trade(0)))
      await new Promise((r) => setTimeout(r, 50))
    }
    const base = received
    const started = performance.now()
    for (let i = 0; i < count; i++) {
      const body = JSON.stringify(i % 2 === 0 ? book(i) : trade(i))
      bytes.n += body.length
      nc.publish(subject, body)
      if (i % 1_000 === 999) await nc.flush()
    }
    while (received < base + count) await new Promise((r) => setTimeout(r, 5))
    const jsMs = performance.now() - started
    feed.close()
    await reading.catch(() => undefined)

    // The floor: the same messages over core NATS publish/subscribe, parsed on receipt.
    const sub = nc.subscribe('floor.md')
    let floorReceived = 0
    const floorDone = (async () => {
      for await (const m of sub) {
        m.json<MarketEvent>()
        if (++floorReceived >= count) break
      }
    })()
    await nc.flush()
    const floorStarted = performance.now()
    for (let i = 0; i < count; i++) {
      nc.publish('floor.md', JSON.stringify(i % 2 === 0 ? book(i) : trade(i)))
      if (i % 1_000 === 999) await nc.flush()
    }
    await floorDone
    const floorMs = performance.now() - floorStarted
    const r1 = (x: number): number => Math.round(x * 10) / 10
    return {
      events: count,
      avg_event_bytes: Math.round(bytes.n / count),
      jetstream_events_per_s: Math.round(count / (jsMs / 1000)),
      jetstream_ms: r1(jsMs),
      floor_core_nats_events_per_s: Math.round(count / (floorMs / 1000)),
      floor_ms: r1(floorMs),
      vs_floor: r1(jsMs / floorMs),
    }
  } finally {
    await nc.close()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
