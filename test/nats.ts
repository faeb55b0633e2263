/**
 * @module test/nats
 * A nats-server with JetStream of a test's own: on a free loopback port with a temporary store, so the test may
 * stop or cut it without touching the shared server on 4222.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './sim.js'

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

export interface OwnNats {
  readonly url: string
  readonly port: number
  readonly proc: ChildProcess
  /** Stops the server and removes its store. */
  stop(): Promise<void>
}

/** Starts the server and resolves once it listens. */
export async function startNats(): Promise<OwnNats> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-nats-'))
  const port = await freePort()
  const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' })
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  }
  if (!(await waitFor(() => listening(port), 10_000, 50))) {
    await stop()
    throw new Error(`nats-server did not listen on ${port}`)
  }
  return { url: `nats://127.0.0.1:${port}`, port, proc, stop }
}
