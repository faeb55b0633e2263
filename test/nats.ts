/**
 * @module test/nats
 * A nats-server with JetStream of a test's own: on a free loopback port with a temporary store, so the test may
 * stop or cut it without touching the shared server on 4222.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
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

/** A TCP proxy to NATS that a test can cut (refusing new connections and dropping open ones) and open again. */
export interface CutProxy {
  readonly url: string
  readonly port: number
  cut(): Promise<void>
  /** Listens again on the same port (nothing to do if it is listening). */
  reopen(): Promise<void>
  close(): Promise<void>
}

export async function startProxy(target: number): Promise<CutProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const listen = async (port: number): Promise<number> => {
    server = createServer((client) => {
      const upstream = netConnect(target, '127.0.0.1')
      for (const s of [client, upstream]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => undefined)
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()))
    return (server.address() as AddressInfo).port
  }
  const port = await listen(0)
  const cut = async (): Promise<void> => {
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((r) => server!.close(() => r()))
    server = undefined
    for (const s of sockets) s.destroy()
    await closed
  }
  return { url: `nats://127.0.0.1:${port}`, port, cut, reopen: async () => void (server === undefined && (await listen(port))), close: cut }
}
