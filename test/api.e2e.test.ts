import { mkdtempSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, sofia } from './helpers.js'
import { callApi, createToken, startServe, stopServe, until } from './serve.js'
import type { ApiAnswer, Served } from './serve.js'

const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string }[] }[]

const dir = mkdtempSync(join(tmpdir(), 'sofia-api-'))
const tokens: Record<string, string> = {}
let server: Served

const call = (method: string, path: string, token?: string, body?: unknown): Promise<ApiAnswer> => callApi(server.url, method, path, token, body)

beforeAll(async () => {
  for (const role of ['viewer', 'operator', 'admin']) {
    tokens[role] = createToken(dir, `e2e-${role}`, role)
  }
  // info: a log line per request, so the test can check no token or ticket reaches the log.
  server = await startServe(['--port', '0', '--data-dir', dir, '--step-ms', '20', '--log-level', 'info'], { cwd: dir })
  expect(server.line.event).toBe('listening')
})

afterAll(async () => {
  await stopServe(server)
})

describe('sofia serve (operator API end to end)', () => {
  it('serves open probes and refuses reads without a token', async () => {
    expect((await call('GET', '/health')).status).toBe(200)
    expect((await call('GET', '/ready')).json).toMatchObject({ ready: true })
    const r = await call('GET', '/risk/status')
    expect(r.status).toBe(401)
    expect(r.json).toMatchObject({ code: 'UNAUTHORIZED' })
    expect((await call('GET', '/risk/status', tokens['viewer'])).status).toBe(200)
  })

  it('lets a viewer read but not act; an operator acts', async () => {
    const denied = await call('POST', '/orders/cancel-all', tokens['viewer'], {})
    expect(denied.status).toBe(403)
    expect(denied.json).toMatchObject({ code: 'FORBIDDEN' })
    const ok = await call('POST', '/orders/cancel-all', tokens['operator'], { reason: 'e2e' })
    expect(ok.status).toBe(200)
    expect(typeof ok.json['cancelled']).toBe('number')
  })

  it('refuses malformed JSON and wrong types with a message naming the field', async () => {
    const bad = await call('POST', '/kill-switch/activate', tokens['operator'], '{"reason":')
    expect(bad).toMatchObject({ status: 400, json: { code: 'MALFORMED_JSON' } })
    const wrong = await call('POST', '/kill-switch/activate', tokens['operator'], { reason: 42 })
    expect(wrong).toMatchObject({ status: 400, json: { error: 'body/reason must be string', code: 'VALIDATION_FAILED' } })
    const big = await call('POST', '/kill-switch/activate', tokens['operator'], { reason: 'x'.repeat(17_000) })
    expect(big).toMatchObject({ status: 413, json: { code: 'PAYLOAD_TOO_LARGE' } })
  })

  it('streams events (hello, orders, status) over SSE, opened with a single-use ticket', async () => {
    const issued = await call('POST', '/events/ticket', tokens['viewer'])
    expect(issued.status).toBe(200)
    const ticket = issued.json['ticket'] as string
    expect(ticket).toMatch(/^sofia_ticket_[A-Za-z0-9_-]{43}$/)
    const text = await new Promise<string>((resolve, reject) => {
      let buf = ''
      const req = httpRequest(`${server.url}/events?ticket=${ticket}`, (res) => {
        expect(res.statusCode).toBe(200)
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
        res.on('data', (d: Buffer) => {
          buf += d.toString()
          if (buf.includes('event: status') && buf.includes('event: order')) {
            req.destroy()
            resolve(buf)
          }
        })
      })
      req.on('error', (e) => (buf.includes('event: status') ? resolve(buf) : reject(e)))
      req.end()
      setTimeout(() => {
        req.destroy()
        reject(new Error(`SSE: no status/order events in 8 s: ${buf.slice(0, 300)}`))
      }, 8_000)
    })
    expect(text).toMatch(/event: hello\ndata: \{/)
    expect(text).toMatch(/event: order\ndata: \{"clientOrderId"/)
    // Spent: the same ticket opens nothing again; an unknown one neither; a token in the URL is not taken.
    for (const url of [`/events?ticket=${ticket}`, '/events?ticket=sofia_ticket_forged', `/events?access_token=${tokens['viewer']}`]) {
      const res = await fetch(server.url + url)
      expect(res.status, url).toBe(401)
      await res.body?.cancel()
    }
    const refused = await fetch(`${server.url}/events?ticket=${ticket}`)
    expect(((await refused.json()) as { code: string }).code).toBe('TICKET_INVALID')
    // The request log (info) names the routes but holds no token and no ticket.
    await until('the request lines', async () => (server.stderr().includes('/events?ticket=[redacted]') ? true : undefined))
    for (const secret of [ticket, ...Object.values(tokens)]) expect(server.stderr()).not.toContain(secret)
  })

  it('halts trading through the API: kill switch active, orders cancelled, audited with the token name', async () => {
    await until('open orders', async () => ((await call('GET', '/orders', tokens['viewer'])).json['count'] as number) > 0 || undefined)
    const r = await call('POST', '/kill-switch/activate', tokens['operator'], { reason: 'e2e halt' })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ changed: true, state: { active: true, actor: 'operator:e2e-operator' } })
    await until('no open orders', async () => ((await call('GET', '/orders', tokens['viewer'])).json['count'] === 0 ? true : undefined))
    const ks = await call('GET', '/kill-switch', tokens['viewer'])
    expect(ks.json).toMatchObject({ state: { active: true, reason: 'e2e halt' } })
    const audit = (await call('GET', '/risk/audit?limit=1000', tokens['viewer'])).json['records'] as { type: string; actor: string; payload: { reason?: string } }[]
    expect(audit.find((a) => a.type === 'kill_switch.activated' && a.payload.reason === 'e2e halt')?.actor).toBe('operator:e2e-operator')
    const blocked = await call('GET', '/health')
    expect((blocked.json['checks'] as { name: string; detail: string }[]).find((c) => c.name === 'kill_switch')?.detail).toMatch(/^ACTIVE/)
  })

  it('routes CLI operator commands through the API when SOFIA_TOKEN is set', () => {
    const r = sofia(['kill-switch', 'deactivate', '--reason', 'e2e resume', '--data-dir', dir, '--json'], { cwd: dir, env: { SOFIA_TOKEN: tokens['operator']! } })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, via: 'api', result: { state: { active: false, actor: 'operator:e2e-operator' } } })
  })

  it('exposes Prometheus metrics with trading_orders_total', async () => {
    const text = (await call('GET', '/metrics')).json['text'] as string
    const families = parsePrometheus(text)
    const orders = families.find((f) => f.name === 'trading_orders_total')
    expect(orders?.metrics.some((m) => m.labels?.['status'] === 'submitted')).toBe(true)
    expect(families.find((f) => f.name === 'api_latency_seconds')?.type).toBe('HISTOGRAM')
  })

  it('refuses a revoked token within a second or two', async () => {
    const created = sofia(['tokens', 'create', '--name', 'e2e-temp', '--role', 'viewer', '--json', '--data-dir', dir], { cwd: dir })
    const temp = (JSON.parse(created.stdout) as { token: string }).token
    expect((await call('GET', '/status', temp)).status).toBe(200)
    expect(sofia(['tokens', 'revoke', 'e2e-temp', '--data-dir', dir], { cwd: dir }).code).toBe(0)
    const refused = await until('revocation', async () => {
      const r = await call('GET', '/status', temp)
      return r.status === 401 ? r : undefined
    })
    expect(refused.json).toMatchObject({ code: 'TOKEN_REVOKED' })
    const list = sofia(['tokens', 'list', '--json', '--data-dir', dir], { cwd: dir })
    const temps = (JSON.parse(list.stdout) as { name: string; status: string; lastUsedAt: number | null }[]).filter((t) => t.name === 'e2e-temp')
    expect(temps).toMatchObject([{ status: 'revoked' }])
  })

  it('stops cleanly on SIGTERM and clears its endpoint', async () => {
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).toMatch(/"event":"stopped"/)
    const again = sofia(['kill-switch', 'status', '--json', '--data-dir', dir], { cwd: dir })
    expect(JSON.parse(again.stdout)).toMatchObject({ session: null })
  })
})

describe('sofia serve: refusals at start', () => {
  it('refuses to bind beyond loopback without any token (exit 2, one line)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sofia-api-open-'))
    const r = sofia(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', empty], { cwd: empty, timeoutMs: 30_000 })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/refusing to serve on 0\.0\.0\.0/)
  })

  it('refuses a bad --port', () => {
    const r = sofia(['serve', '--port', '70000', '--data-dir', dir], { cwd: REPO })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--port/)
  })
})
