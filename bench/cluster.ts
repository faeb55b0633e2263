/**
 * @module bench/cluster
 * Global halt latency: three `sofia serve --nats` paper nodes on a nats-server of the bench's own (JetStream,
 * a temporary store). Each round trips the kill switch on node a through its operator API and waits until the
 * other two have halted, then deactivates it on node a and waits until both have resumed. The delay of each
 * halt is what the halted node reports on `sofia.cluster.<node>.kill_switch` (from node a's trip to its own
 * halt, both on this machine's clock); the round trip is timed here, from the POST to the second message.
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
  const port = await freePort()
  mkdirSync(join(dir, 'nats'))
  procs.push(spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'nats')], { stdio: 'ignore' }))
  const natsUrl = `nats://127.0.0.1:${port}`
  try {
    await until(() => listening(port), 10_000, 'nats-server listening')
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
    for (const p of procs.reverse()) {
      const exited = new Promise((r) => p.once('exit', r))
      p.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  }
}
