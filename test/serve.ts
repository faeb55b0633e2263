/**
 * @module test/serve
 * Starts `sofia serve` as a child process and waits for its `{"event":"listening",…}` line, makes API tokens
 * with the CLI, and calls the operator API over HTTP. The test files that run the operator API use these.
 */
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { expect } from 'vitest'
import { CLI, cliEnv, sofia } from './helpers.js'

export interface Served {
  readonly child: ChildProcessWithoutNullStreams
  /** The first line the server printed: `listening`, its URL and (on an exchange) its mode. */
  readonly line: { event: string; url: string; mode?: string }
  readonly url: string
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<number | null>
}

export interface ServeOptions {
  readonly cwd: string
  /** Extra environment for the CLI (see cliEnv). */
  readonly env?: Record<string, string>
  /** Node options before the CLI (e.g. --report-on-signal). */
  readonly node?: readonly string[]
  /** How long it may take to print its first line (default 30 s). */
  readonly timeoutMs?: number
}

/** Starts `sofia serve ARGS…` and waits for its first line; throws with its stderr if it exits or times out first. */
export async function startServe(args: readonly string[], options: ServeOptions): Promise<Served> {
  const child = spawn(process.execPath, [...(options.node ?? []), CLI, 'serve', ...args], { cwd: options.cwd, env: cliEnv(options.env) })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  while (!out.includes('\n')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`sofia serve did not start: ${err}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  const line = JSON.parse(out.split('\n')[0]!) as Served['line']
  return { child, line, url: line.url, stdout: () => out, stderr: () => err, exited }
}

/** Stops a server still running (SIGKILL unless told otherwise) and waits for it to exit. */
export async function stopServe(server: Served | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (server === undefined || server.child.exitCode !== null) return
  server.child.kill(signal)
  await server.exited
}

/** Creates an API token with `sofia tokens create` in `dataDir` (expecting exit 0) and returns its plaintext. */
export function createToken(dataDir: string, name: string, role: string, cwd?: string): string {
  const r = sofia(['tokens', 'create', '--name', name, '--role', role, '--json', '--data-dir', dataDir], cwd === undefined ? {} : { cwd })
  expect(r.code, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as { token: string }).token
}

export interface ApiAnswer {
  readonly status: number
  /** The JSON object answered, or `{ text }` for any other body. */
  readonly json: Record<string, unknown>
}

/** One request to the API at `url`, with the bearer token when given; a string body is sent as it is, any other as JSON. */
export async function callApi(url: string, method: string, path: string, token?: string, body?: unknown): Promise<ApiAnswer> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } }
}

/** Polls `fn` every `everyMs` until it returns a value; throws naming `what` (and `detail()`) after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  { everyMs = 20, detail }: { everyMs?: number; detail?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail === undefined ? '' : `; ${detail()}`}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
