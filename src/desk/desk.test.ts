import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { API_ENDPOINT_KEY, runningApi } from '../api/client.js'
import { createToken } from '../api/tokens.js'
import { InputError } from '../model/index.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/index.js'
import { openDesk } from './desk.js'
import type { DeskOptions, DeskServer } from './desk.js'

const dirs: string[] = []
const stores: Store[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function sqlite(): Promise<{ store: Store; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-desk-'))
  dirs.push(dir)
  const store = await openStore({ dataDir: dir, file: join(dir, 'sofia.db') })
  stores.push(store)
  return { store, dir }
}

function options(store: Store, dir: string, host = '127.0.0.1', port = 0): DeskOptions & { readonly server: DeskServer } {
  return {
    store,
    dataDir: dir,
    session: { kind: 'paper', seed: 7, stepMs: 10, strategies: [{ name: 'market-maker', params: { amount: '0.001' } }] },
    specs: [{ name: 'market-maker', params: { amount: '0.001' } }],
    server: { host, port, rateLimitPerMinute: 0, metricsAuth: false },
    shipHeads: false,
    log: () => undefined,
    warn: () => undefined,
  }
}

describe('openDesk', () => {
  it('serves a paper session: open routes answer, run() ends on stop(), the endpoint is withdrawn', async () => {
    const { store, dir } = await sqlite()
    const desk = await openDesk(options(store, dir))
    expect(desk.api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const running = desk.run()
    expect((await fetch(`${desk.api.url}/health`)).status).toBe(200)
    // Other routes need a token.
    expect((await fetch(`${desk.api.url}/positions`)).status).toBe(401)
    expect(await store.getState<{ url: string }>(API_ENDPOINT_KEY)).toMatchObject({ url: desk.api.url })
    await new Promise((r) => setTimeout(r, 300))
    await desk.stop()
    const { stats } = await running
    expect(stats.events).toBeGreaterThan(0)
    await desk.close()
    await desk.close() // again: nothing left to let go
    await expect(fetch(`${desk.api.url}/health`)).rejects.toThrow()
    await desk.session.trader.persistence?.flush()
    expect(await runningApi(store)).toBeUndefined()
  }, 30_000)

  it('refuses to bind beyond loopback with no API token (InputError), and binds once one exists', async () => {
    const { store, dir } = await sqlite()
    await expect(openDesk(options(store, dir, '0.0.0.0'))).rejects.toThrow(InputError)
    await expect(openDesk(options(store, dir, '0.0.0.0'))).rejects.toThrow(/refusing to serve on 0\.0\.0\.0 \(beyond loopback\) with no API token/)
    const { token } = await createToken(store, { name: 'desk', role: 'viewer', createdBy: 'operator:test' })
    const desk = await openDesk(options(store, dir, '0.0.0.0'))
    try {
      const health = await fetch(`http://127.0.0.1:${desk.api.address.port}/positions`, { headers: { authorization: `Bearer ${token}` } })
      expect(health.status).toBe(200)
    } finally {
      await desk.close()
    }
  }, 30_000)

  it('a port already taken is an InputError naming it, and the session built for it is let go', async () => {
    const { store, dir } = await sqlite()
    const first = await openDesk(options(store, dir))
    const running = first.run()
    try {
      const second = await sqlite()
      await expect(openDesk(options(second.store, second.dir, '127.0.0.1', first.api.address.port))).rejects.toThrow(
        `cannot listen on 127.0.0.1:${first.api.address.port}: EADDRINUSE`,
      )
      // The failed desk's session let go of its store: it closes cleanly and nothing was left running on it.
      await second.store.close()
      stores.splice(stores.indexOf(second.store), 1)
      expect((await fetch(`${first.api.url}/health`)).status).toBe(200)
    } finally {
      await first.stop()
      await running
      await first.close()
    }
  }, 30_000)
})
