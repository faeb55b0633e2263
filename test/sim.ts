/**
 * @module test/sim
 * Starts `sofia exchange-sim` as a child process on an ephemeral loopback port and talks to its `/sim/*`
 * control API. Every test file that trades against the local exchange uses these.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll } from 'vitest'
import { CLI, REPO, cliEnv } from './helpers.js'

export interface Sim {
  readonly url: string
  readonly ws: string
  readonly apiKey: string
  readonly apiSecret: string
  readonly proc: ChildProcess
}

export async function startSim(args: readonly string[], timeoutMs = 20_000): Promise<Sim> {
  const proc = spawn(process.execPath, [CLI, 'exchange-sim', '--port', '0', '--host', '127.0.0.1', ...args], {
    cwd: REPO,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`exchange-sim did not start within ${timeoutMs} ms: ${err}`)), timeoutMs)
    proc.stdout.on('data', (d: Buffer) => {
      out += String(d)
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
    proc.stderr.on('data', (d: Buffer) => (err += String(d)))
    proc.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exchange-sim exited ${code}: ${err}`))
    })
  })
  const info = JSON.parse(line) as { url: string; ws: string; apiKey: string; apiSecret: string }
  return { ...info, proc }
}

export async function stopSim(sim: Sim | undefined): Promise<void> {
  if (sim === undefined || sim.proc.exitCode !== null) return
  const exited = new Promise<void>((resolve) => sim.proc.once('exit', () => resolve()))
  sim.proc.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))])
}

/**
 * Starts the local exchange with `args` before the tests of the calling file and stops it after them. Returns
 * the running simulator's getter (it throws outside the file's tests).
 */
export function useSim(args: readonly string[]): () => Sim {
  let sim: Sim | undefined
  beforeAll(async () => {
    sim = await startSim(args)
  })
  afterAll(async () => {
    await stopSim(sim)
  })
  return () => {
    if (sim === undefined) throw new Error('the local exchange is not running (useSim: outside the tests of its file)')
    return sim
  }
}

/** Calls a `/sim/*` control endpoint; throws unless it answers 200. */
export async function control<T = unknown>(sim: Sim, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(sim.url + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`)
  return JSON.parse(text) as T
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return check()
}
