import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dec } from '../model/index.js'
import { createMetrics } from '../observability/index.js'
import { MemoryStore } from '../store/index.js'
import { DEFAULT_RISK, attachMetrics } from '../system/index.js'
import type { ApiDeps } from './deps.js'
import { buildServer } from './server.js'
import { buildSession } from '../system/index.js'
import type { Session } from '../system/index.js'
import { TokenRegistry, createToken, revokeToken } from './tokens.js'

interface Family {
  name: string
  type: string
  metrics: { labels?: Record<string, string>; value?: string }[]
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[]

let store: MemoryStore
let paper: Session
let running: Promise<unknown>
let app: FastifyInstance
let deps: ApiDeps
const token: Record<'viewer' | 'operator' | 'admin' | 'expired' | 'revoked', string> = { viewer: '', operator: '', admin: '', expired: '', revoked: '' }

const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

beforeAll(async () => {
  store = new MemoryStore()
  for (const role of ['viewer', 'operator', 'admin'] as const) token[role] = (await createToken(store, { name: `t-${role}`, role, createdBy: 'operator:test' })).token
  token.expired = (await createToken(store, { name: 't-expired', role: 'admin', createdBy: 'operator:test', expiresInMs: 1_000, now: Date.now() - 10_000 })).token
  token.revoked = (await createToken(store, { name: 't-revoked', role: 'admin', createdBy: 'operator:test' })).token
  await revokeToken(store, 't-revoked', 'operator:test')
  paper = await buildSession({ kind: 'paper', store, stepMs: 20 })
  const tokens = new TokenRegistry(store)
  await tokens.start()
  const metrics = createMetrics({ processMetrics: false })
  attachMetrics(paper.trader, metrics)
  deps = { session: paper, store, tokens, metrics }
  app = (await buildServer(deps)).app
  running = paper.start()
  await waitFor('open orders', () => paper.trader.orders.openOrders().length > 0)
})

afterAll(async () => {
  await app?.close()
  paper?.stop()
  await running
  await deps?.tokens.stop()
})

const auth = (t: string) => ({ authorization: `Bearer ${t}` })

/** Every route with the role it needs and a body that passes validation. */
const ROUTES: { method: 'GET' | 'POST'; url: string; access: 'open' | 'viewer' | 'operator' | 'admin'; body?: Record<string, unknown> }[] = [
  { method: 'GET', url: '/health', access: 'open' },
  { method: 'GET', url: '/ready', access: 'open' },
  { method: 'GET', url: '/metrics', access: 'open' },
  { method: 'GET', url: '/openapi.json', access: 'open' },
  { method: 'GET', url: '/status', access: 'viewer' },
  { method: 'GET', url: '/risk/status', access: 'viewer' },
  { method: 'GET', url: '/risk/audit?limit=5', access: 'viewer' },
  { method: 'GET', url: '/kill-switch', access: 'viewer' },
  { method: 'GET', url: '/orders', access: 'viewer' },
  { method: 'GET', url: '/positions', access: 'viewer' },
  { method: 'GET', url: '/exchange/balance', access: 'viewer' },
  { method: 'GET', url: '/pnl?period=yesterday', access: 'viewer' },
  { method: 'GET', url: '/shadow/status', access: 'viewer' },
  { method: 'GET', url: '/slo/status', access: 'viewer' },
  { method: 'GET', url: '/alerts', access: 'viewer' },
  { method: 'GET', url: '/tokens', access: 'admin' },
  { method: 'GET', url: '/auth/whoami', access: 'viewer' },
  { method: 'GET', url: '/fills?limit=5', access: 'viewer' },
  { method: 'GET', url: '/pnl/breakdown?period=today', access: 'viewer' },
  { method: 'GET', url: '/reports/attribution', access: 'viewer' },
  { method: 'GET', url: '/reconciliation/runs', access: 'viewer' },
  { method: 'GET', url: '/audit/verify', access: 'viewer' },
  { method: 'GET', url: '/strategies', access: 'viewer' },
  { method: 'GET', url: '/trades?limit=5', access: 'viewer' },
  { method: 'GET', url: '/logs?level=warn', access: 'viewer' },
  { method: 'GET', url: '/candles', access: 'viewer' },
  { method: 'GET', url: '/equity?limit=5', access: 'viewer' },
  { method: 'GET', url: '/backtests', access: 'viewer' },
  { method: 'POST', url: '/backtests', access: 'operator', body: { strategy: 'sma-cross', data: 'synthetic' } },
  { method: 'POST', url: '/orders/cancel-all', access: 'operator', body: { reason: 'test' } },
  { method: 'POST', url: '/positions/flatten', access: 'operator', body: { reason: 'route table', symbol: 'NONE/USDT' } },
  { method: 'POST', url: '/trading-state', access: 'operator', body: { state: 'ACTIVE' } },
  { method: 'POST', url: '/orders', access: 'operator', body: { reason: 'route table', venue: 'alpha', symbol: 'NONE/USDT', side: 'buy', type: 'limit', amount: '1', price: '1' } },
  { method: 'POST', url: '/position-override', access: 'operator', body: { multiplier: 1 } },
  { method: 'POST', url: '/shadow/rollback', access: 'operator', body: {} },
  { method: 'POST', url: '/reconciliation/run', access: 'operator', body: {} },
  { method: 'POST', url: '/reconciliation/positions', access: 'operator', body: {} },
  { method: 'POST', url: '/reports/eod', access: 'operator', body: {} },
  { method: 'POST', url: '/ws/restart', access: 'operator', body: {} },
  { method: 'POST', url: '/kill-switch/activate', access: 'operator', body: { reason: 'route table' } },
  { method: 'POST', url: '/kill-switch/deactivate', access: 'operator', body: { reason: 'route table' } },
]

const ORDER = ['viewer', 'operator', 'admin'] as const

describe('operator API: authentication and roles on every route', () => {
  it.each(ROUTES)('$method $url without a token', async (r) => {
    const res = await app.inject({ method: r.method, url: r.url, ...(r.body !== undefined ? { payload: r.body } : {}) })
    if (r.access === 'open') expect(res.statusCode).toBeLessThan(400)
    else {
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED' })
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
    }
  })

  for (const role of ORDER) {
    it.each(ROUTES.filter((r) => r.access !== 'open'))(`$method $url as ${role}`, async (r) => {
      const res = await app.inject({ method: r.method, url: r.url, headers: auth(token[role]), ...(r.body !== undefined ? { payload: r.body } : {}) })
      const allowed = ORDER.indexOf(role) >= ORDER.indexOf(r.access as (typeof ORDER)[number])
      if (!allowed) {
        expect(res.statusCode).toBe(403)
        expect(res.json()).toMatchObject({ code: 'FORBIDDEN' })
        expect((res.json() as { error: string }).error).toContain(`needs ${r.access}`)
      } else {
        expect([200, 409, 501]).toContain(res.statusCode)
      }
    })
  }

  it.each([
    ['expired', 'TOKEN_EXPIRED'],
    ['revoked', 'TOKEN_REVOKED'],
  ] as const)('refuses an %s token with 401 %s', async (which, code) => {
    const res = await app.inject({ method: 'GET', url: '/status', headers: auth(token[which]) })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ code })
  })

  it('refuses an unknown token and a malformed Authorization header', async () => {
    for (const authorization of [`Bearer sofia_${'x'.repeat(43)}`, 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const res = await app.inject({ method: 'GET', url: '/status', headers: { authorization } })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ code: 'TOKEN_INVALID' })
    }
  })

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope', headers: auth(token.admin) })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'no route GET /nope', code: 'NOT_FOUND' })
  })
})

describe('operator API: request validation', () => {
  const post = (payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/kill-switch/activate', headers: { ...auth(token.operator), 'content-type': 'application/json', ...headers }, payload })

  it('refuses malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await post('{"reason": ')
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'MALFORMED_JSON' })
  })

  it.each([
    ['{"reason": 5}', 'body/reason must be string'],
    ['{"reason": ""}', 'body/reason must NOT have fewer than 1 characters'],
    ['{}', "body must have required property 'reason'"],
    ['{"reason": "x", "force": true}', 'body must NOT have additional properties'],
    ['[1]', 'body must be object'],
  ])('refuses %s with a message naming the field', async (payload, message) => {
    const res = await post(payload)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: message, code: 'VALIDATION_FAILED' })
  })

  it('names the query parameter', async () => {
    for (const url of ['/risk/audit?limit=abc', '/pnl?period=month']) {
      const res = await app.inject({ method: 'GET', url, headers: auth(token.viewer) })
      expect(res.statusCode).toBe(400)
      expect((res.json() as { error: string }).error).toMatch(/^querystring\/(limit|period) /)
    }
  })

  it('refuses a body over 16 kB with 413', async () => {
    const res = await post(JSON.stringify({ reason: 'x'.repeat(20_000) }))
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
  })

  it('refuses a non-JSON content type with 415', async () => {
    const res = await post('reason=x', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(res.statusCode).toBe(415)
    expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' })
  })
})

describe('operator API: the kill switch', () => {
  it('halts trading, cancels every order, and is audited with the token name as actor', async () => {
    await waitFor('open orders', () => paper.trader.orders.openOrders().length > 0)
    const res = await app.inject({ method: 'POST', url: '/kill-switch/activate', headers: auth(token.operator), payload: { reason: 'unit test halt' } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ changed: true, state: { active: true, actor: 'operator:t-operator', reason: 'unit test halt' } })
    await waitFor('orders cancelled', () => paper.trader.orders.openOrders().length === 0)
    const ks = (await app.inject({ method: 'GET', url: '/kill-switch', headers: auth(token.viewer) })).json() as { state: { active: boolean }; history: { actor: string }[] }
    expect(ks.state.active).toBe(true)
    expect(ks.history.at(-1)).toMatchObject({ actor: 'operator:t-operator', action: 'activated' })
    // Halted: nothing new rests on the venues.
    await new Promise((r) => setTimeout(r, 300))
    expect(paper.trader.orders.openOrders()).toHaveLength(0)
    const audit = (await app.inject({ method: 'GET', url: '/risk/audit?limit=500', headers: auth(token.viewer) })).json() as {
      records: { type: string; actor: string; payload: Record<string, unknown> }[]
    }
    expect(audit.records.find((r) => r.type === 'kill_switch.activated' && r.payload['reason'] === 'unit test halt')?.actor).toBe('operator:t-operator')
    expect(audit.records.some((r) => r.type === 'api.request' && r.actor === 'operator:t-operator' && r.payload['route'] === '/kill-switch/activate')).toBe(true)

    const back = await app.inject({ method: 'POST', url: '/kill-switch/deactivate', headers: auth(token.operator), payload: { reason: 'unit test resume' } })
    expect(back.statusCode).toBe(200)
    expect(back.json()).toMatchObject({ changed: true, state: { active: false } })
    await waitFor('orders back', () => paper.trader.orders.openOrders().length > 0)
  })
})

describe('operator API: probes, metrics and P&L', () => {
  it('/health lists each check and is 200 while they pass', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' })
    expect(res.statusCode).toBe(200)
    const body = res.json() as { status: string; checks: { name: string; ok: boolean }[] }
    expect(body.status).toBe('ok')
    expect(body.checks.map((c) => c.name)).toEqual(['session', 'store', 'venues', 'feeds', 'kill_switch'])
  })

  it('/metrics is Prometheus text with trading_orders_total and api_latency_seconds', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    const families = parsePrometheus(res.body)
    const orders = families.find((f) => f.name === 'trading_orders_total')
    expect(orders?.type).toBe('COUNTER')
    expect(orders?.metrics.some((m) => m.labels?.['status'] === 'submitted' && Number(m.value) > 0)).toBe(true)
    expect(families.some((f) => f.name === 'api_latency_seconds' && f.type === 'HISTOGRAM')).toBe(true)
    expect(families.find((f) => f.name === 'kill_switch_active')?.metrics[0]?.value).toBe('0')
  })

  it('/pnl today: net = realized + unrealized − fees, exact decimals as strings', async () => {
    const res = await app.inject({ method: 'GET', url: '/pnl', headers: auth(token.viewer) })
    const p = res.json() as { period: string; realized: string; unrealized: string; fees: string; net: string }
    expect(p.period).toBe('today')
    const cents = (s: string) => Math.round(Number(s) * 1e6)
    expect(cents(p.realized) + cents(p.unrealized) - cents(p.fees)).toBe(cents(p.net))
  })

  it("/equity is the session's equity curve so far, oldest first, exact decimals, the newest `limit` points", async () => {
    paper.trader.sampleEquity()
    paper.trader.sampleEquity()
    const all = (await app.inject({ method: 'GET', url: '/equity?limit=10000', headers: auth(token.viewer) })).json() as { currency: string; points: { t: number; equity: string; drawdown: string }[] }
    const curve = paper.trader.ledger.equityCurve()
    expect(all.points.length).toBe(curve.length)
    expect(all.points.at(-1)).toEqual({ t: curve.at(-1)!.timestamp, equity: curve.at(-1)!.equity.toString(), drawdown: curve.at(-1)!.drawdown.toString() })
    expect(all.points.every((p, i) => i === 0 || p.t >= all.points[i - 1]!.t)).toBe(true)
    expect(all.currency).toBe(paper.trader.ledger.reportingCurrency)
    const two = (await app.inject({ method: 'GET', url: '/equity?limit=2', headers: auth(token.viewer) })).json() as { points: unknown[] }
    expect(two.points).toEqual(all.points.slice(-2))
    expect((await app.inject({ method: 'GET', url: '/equity?limit=0', headers: auth(token.viewer) })).statusCode).toBe(400)
  })

  it('/openapi.json documents every route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> }
    for (const r of ROUTES) if (r.url !== '/openapi.json') expect(Object.keys(doc.paths)).toContain(r.url.split('?')[0])
  })
})

describe('operator API: procedures and modes', () => {
  it('answers 501 NOT_AVAILABLE for a procedure not plugged in, 409 for what paper mode cannot do', async () => {
    const eod = await app.inject({ method: 'POST', url: '/reports/eod', headers: auth(token.operator) })
    expect(eod.statusCode).toBe(501)
    expect(eod.json()).toMatchObject({ code: 'NOT_AVAILABLE' })
    const rollback = await app.inject({ method: 'POST', url: '/shadow/rollback', headers: auth(token.operator) })
    expect(rollback.statusCode).toBe(409)
    expect((rollback.json() as { error: string }).error).toMatch(/not in canary or live mode/)
    expect((await app.inject({ method: 'POST', url: '/ws/restart', headers: auth(token.operator) })).statusCode).toBe(409)
    expect((await app.inject({ method: 'GET', url: '/shadow/status', headers: auth(token.viewer) })).json()).toMatchObject({ mode: 'paper', deployment: null })
  })

  it('calls a plugged-in procedure with the token as actor', async () => {
    const calls: string[] = []
    const withReports = (await buildServer({ ...deps, reports: { eod: (_args, actor) => Promise.resolve(calls.push(actor)) } }, { rateLimitPerMinute: 0 })).app
    try {
      const res = await withReports.inject({ method: 'POST', url: '/reports/eod', headers: auth(token.operator), payload: {} })
      expect(res.statusCode).toBe(200)
      expect(calls).toEqual(['operator:t-operator'])
    } finally {
      await withReports.close()
    }
  })
})

describe('operator API: rate limit', () => {
  it('answers 429 RATE_LIMITED beyond the limit per token', async () => {
    const limited = (await buildServer(deps, { rateLimitPerMinute: 3 })).app
    try {
      const codes: number[] = []
      for (let i = 0; i < 5; i++) codes.push((await limited.inject({ method: 'GET', url: '/orders', headers: auth(token.viewer) })).statusCode)
      expect(codes).toEqual([200, 200, 200, 429, 429])
      const res = await limited.inject({ method: 'GET', url: '/orders', headers: auth(token.viewer) })
      expect(res.json()).toMatchObject({ code: 'RATE_LIMITED' })
      // Another token has its own budget.
      expect((await limited.inject({ method: 'GET', url: '/orders', headers: auth(token.operator) })).statusCode).toBe(200)
    } finally {
      await limited.close()
    }
  })
})

describe('operator API: dashboard views', () => {
  const get = async (url: string, t: string = token.viewer) => {
    const res = await app.inject({ method: 'GET', url, headers: auth(t) })
    return { status: res.statusCode, json: res.json() as Record<string, unknown> }
  }

  it('/auth/whoami names the token and its role', async () => {
    expect((await get('/auth/whoami')).json).toEqual({ name: 't-viewer', role: 'viewer', actor: 'operator:t-viewer' })
    expect((await get('/auth/whoami', token.operator)).json).toMatchObject({ name: 't-operator', role: 'operator' })
  })

  it('/strategies lists each strategy with its parameters, state and size; a pause and a size set with a reason show there and are audited with it', async () => {
    const before = (await get('/strategies')).json as { strategies: { id: string; name: string; params: Record<string, string>; state: string; multiplier: string; openOrders: number }[] }
    const mm = before.strategies.find((x) => x.id === 'market-maker')!
    expect(mm).toMatchObject({ name: 'market-maker', state: 'ACTIVE', multiplier: '1' })
    expect(mm.params['spreadBps']).toMatch(/^\d+(\.\d+)?$/)
    const post = (url: string, payload: Record<string, unknown>) => app.inject({ method: 'POST', url, headers: auth(token.operator), payload })
    expect((await post('/trading-state', { state: 'HALTED', strategyId: 'market-maker', reason: 'desk: pause the maker' })).statusCode).toBe(200)
    expect((await post('/position-override', { multiplier: '0.5', strategyId: 'market-maker', reason: 'desk: half size' })).statusCode).toBe(200)
    const after = ((await get('/strategies')).json as typeof before).strategies.find((x) => x.id === 'market-maker')!
    expect([after.state, after.multiplier]).toEqual(['HALTED', '0.5'])
    await paper.trader.persistence!.flush()
    const reasons: string[] = []
    for await (const b of store.iterateAudit()) for (const r of b) if (r.type === 'state.changed' && r.actor === 'operator:t-operator') reasons.push(String((r.payload as { reason?: string }).reason))
    expect(reasons.slice(-2)).toEqual(['desk: pause the maker', 'desk: half size'])
    expect((await post('/trading-state', { state: 'ACTIVE', strategyId: 'market-maker', reason: 'resume' })).statusCode).toBe(200)
    expect((await post('/position-override', { multiplier: 1, strategyId: 'market-maker' })).statusCode).toBe(200)
  })

  it('POST /orders places a manual order through the pre-trade checks, POST /orders/:id/cancel cancels it; both audited with the reason', async () => {
    const post = (url: string, payload: Record<string, unknown>) => app.inject({ method: 'POST', url, headers: auth(token.operator), payload })
    const mm = paper.trader.orders.openOrders({ strategyId: 'market-maker' })
    const bid = mm.find((o) => o.side === 'buy')!
    const price = (Math.floor(Number(bid.price) * 0.95 * 100) / 100).toFixed(2)
    const placed = await post('/orders', { reason: 'desk: a resting bid', venue: bid.venue, symbol: bid.symbol, side: 'buy', type: 'limit', amount: '0.1', price })
    expect(placed.statusCode, placed.body).toBe(200)
    const id = (placed.json() as { clientOrderId: string }).clientOrderId
    expect(id).toMatch(/^manual-/)
    await waitFor('the manual order open', () => paper.trader.orders.order(id)?.state === 'open')
    const cancelled = await post(`/orders/${id}/cancel`, { reason: 'desk: not needed' })
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    await waitFor('the cancel confirmed', () => paper.trader.orders.order(id)?.state === 'canceled')
    expect((await post(`/orders/${id}/cancel`, {})).statusCode).toBe(409) // already canceled
    expect((await post('/orders/nope-1/cancel', {})).statusCode).toBe(404)
    // Through the same checks as a strategy's: a sell into the maker's own bid is a self-trade.
    const nowBid = paper.trader.orders.openOrders({ strategyId: 'market-maker' }).find((o) => o.side === 'buy')!
    const denied = await post('/orders', { reason: 'desk: cross', venue: bid.venue, symbol: bid.symbol, side: 'sell', type: 'limit', amount: '0.1', price: (Math.floor(Number(nowBid.price) * 0.9 * 100) / 100).toFixed(2) })
    expect(denied.statusCode).toBe(409)
    expect((denied.json() as { error: string }).error).toMatch(/^order denied: .*SELF_TRADE/)
    expect((await post('/orders', { reason: 'x', venue: bid.venue, symbol: bid.symbol, side: 'buy', type: 'limit', amount: '0.1' })).statusCode).toBe(409) // no price
    expect((await post('/orders', { reason: 'x', venue: bid.venue, symbol: bid.symbol, side: 'buy', type: 'limit', amount: '-1', price })).statusCode).toBe(400)
    await paper.trader.persistence!.flush()
    const records: string[] = []
    for await (const b of store.iterateAudit()) for (const r of b) if (r.type === 'operator.order' || r.type === 'operator.cancel') records.push(`${r.type} ${r.actor} ${(r.payload as { reason: string }).reason}`)
    expect(records, JSON.stringify(records)).toEqual(expect.arrayContaining(['operator.order operator:t-operator desk: a resting bid', 'operator.cancel operator:t-operator desk: not needed', 'operator.order operator:t-operator desk: cross']))
  })

  it('/trades lists round trips from the recorded fills, filtered and paged, and as CSV with the same rows', async () => {
    await waitFor('a closed round trip', () => paper.trader.orders.counters.fills > 6, 20_000)
    type Trades = { total: number; closed: number; trades: { strategyId: string; status: string; openedAt: number; net: string | null; entryPrice: string; fills: number }[] }
    const all = (await get('/trades?limit=1000')).json as unknown as Trades
    expect(all.total).toBeGreaterThan(0)
    expect(all.trades.length).toBe(Math.min(all.total, 1000))
    for (let i = 1; i < all.trades.length; i++) expect(all.trades[i - 1]!.openedAt).toBeGreaterThanOrEqual(all.trades[i]!.openedAt)
    const page2 = (await get('/trades?limit=1&offset=1')).json as unknown as Trades
    if (all.total > 1) expect(page2.trades[0]).toEqual(all.trades[1])
    const mm = (await get('/trades?strategy=market-maker&limit=1000')).json as unknown as Trades
    expect(mm.trades.every((t) => t.strategyId === 'market-maker')).toBe(true)
    const closed = (await get('/trades?status=closed&limit=1000')).json as unknown as Trades
    expect(closed.trades.every((t) => t.status === 'closed' && t.net !== null)).toBe(true)
    expect((await get('/trades?from=yesterday')).status).toBe(400)
    const csv = await app.inject({ method: 'GET', url: '/trades?format=csv', headers: auth(token.viewer) })
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    const lines = csv.body.trimEnd().split('\n')
    expect(lines[0]).toBe('strategy,venue,symbol,side,status,opened_at,closed_at,duration_s,amount,entry_price,exit_price,gross,fees,net,net_pct,fills')
    expect(lines.length - 1).toBeGreaterThanOrEqual(all.total)
    // The trips are kept between requests only while no fill is added: new fills show in the next answer.
    const fillsIn = (t: Trades): number => t.trades.reduce((n, x) => n + x.fills, 0)
    const before = await store.countFills()
    await waitFor('more fills', () => paper.trader.orders.counters.fills > before + 2, 20_000)
    await paper.trader.persistence!.flush()
    const stored = await store.countFills()
    const fresh = (await get('/trades?limit=1000')).json as unknown as Trades
    if (fresh.total <= 1000) expect(fillsIn(fresh)).toBeGreaterThanOrEqual(stored)
  })

  it('/fills lists the latest fills newest first, with decimal strings', async () => {
    await waitFor('a fill', () => paper.trader.orders.counters.fills > 1, 10_000)
    const r = await get('/fills?limit=2')
    expect(r.status).toBe(200)
    const fills = r.json['fills'] as { price: string; timestamp: number }[]
    expect(fills.length).toBeGreaterThan(0)
    expect(fills.length).toBeLessThanOrEqual(2)
    expect(fills[0]!.price).toMatch(/^\d+(\.\d+)?$/)
    if (fills.length === 2) expect(fills[0]!.timestamp).toBeGreaterThanOrEqual(fills[1]!.timestamp)
    expect((await get('/fills?limit=0')).status).toBe(400)
  })

  it('/orders lists the orders Sofia works itself (emulated stops) apart from the venue\'s open orders', async () => {
    const om = paper.trader.orders
    const [venue, symbol] = [om.openOrders()[0]?.venue ?? 'sim', om.openOrders()[0]?.symbol ?? 'BTC/USDT']
    const e = om.emulator.add({
      id: 'emu-api-1',
      strategyId: 'market-maker',
      venue,
      symbol,
      side: 'sell',
      type: 'market',
      amount: dec('0.01'),
      price: undefined,
      options: { triggerPrice: dec('1'), reduceOnly: true, tag: 'stop' },
      now: 1_700_000_000_000,
      last: undefined,
    })
    try {
      const r = await get('/orders')
      expect(r.status).toBe(200)
      expect(r.json['emulated']).toEqual([
        {
          clientOrderId: 'emu-api-1',
          strategyId: 'market-maker',
          venue,
          symbol,
          type: 'market',
          side: 'sell',
          amount: '0.01',
          price: null,
          state: 'emulated',
          triggerPrice: '1',
          triggerDirection: 'below',
          trailingPercent: null,
          reduceOnly: true,
          tag: 'stop',
          description: `${venue} ${symbol} sell market 0.01 when price ≤ 1 (stop, reduce-only)`,
          timestamp: 1_700_000_000_000,
          datetime: '2023-11-14T22:13:20.000Z',
        },
      ])
      expect((r.json['orders'] as { clientOrderId: string }[]).some((o) => o.clientOrderId === e.id)).toBe(false)
    } finally {
      om.emulator.cancel(e.id, 'test')
    }
    expect((await get('/orders')).json['emulated']).toEqual([])
  })

  it('/pnl/breakdown and /reports/attribution break the P&L down exactly, by strategy, venue and symbol', async () => {
    const b = await get('/pnl/breakdown?period=today')
    expect(b.status).toBe(200)
    expect(b.json).toMatchObject({ period: { label: 'today' }, currency: 'USDT' })
    for (const k of ['byStrategy', 'byVenue', 'bySymbol', 'byDay']) expect(Array.isArray(b.json[k])).toBe(true)
    expect((b.json['totals'] as { netPnl: string }).netPnl).toMatch(/^-?\d/)
    // By leg, as `sofia pnl --json` and the daily report: the legs' fills add up to all fills.
    const legs = b.json['legs'] as Record<'live' | 'simulated', { fills: number; net: string; netIncludesUnrealized: boolean }>
    expect(legs.live.fills + legs.simulated.fills).toBe((b.json['totals'] as { fills: number }).fills)
    expect(legs.live.netIncludesUnrealized).toBe(false)
    const bad = await get('/pnl/breakdown?period=someday')
    expect(bad.status).toBe(400)
    expect(bad.json['error']).toContain('querystring/period')
    const a = await get('/reports/attribution')
    expect(a.status).toBe(200)
    expect(a.json['formula']).toContain('alpha')
    expect((await get('/reports/attribution?date=2026-13-01')).status).toBe(400)
  })

  it('/audit/verify verifies the chain; /reconciliation/runs needs a data directory', async () => {
    const v = await get('/audit/verify')
    expect(v.status).toBe(200)
    expect(v.json).toMatchObject({ ok: true, method: 'store' })
    expect(v.json['count']).toBeGreaterThan(0)
    const r = await get('/reconciliation/runs')
    expect(r.status).toBe(501)
    expect(r.json['code']).toBe('NOT_AVAILABLE')
  })

  it('/risk/audit filters by type and text and pages back with nextBefore', async () => {
    const all = await get('/risk/audit?limit=5')
    const head = all.json['head'] as number
    expect((all.json['records'] as { seq: number }[]).map((r) => r.seq)).toEqual([head - 4, head - 3, head - 2, head - 1, head])
    expect(all.json['nextBefore']).toBe(head - 4)
    const older = await get(`/risk/audit?limit=5&before=${head - 4}`)
    expect((older.json['records'] as { seq: number }[]).at(-1)?.seq).toBe(head - 5)
    const tokens = await get('/risk/audit?type=api.token.*&limit=100')
    const types = (tokens.json['records'] as { type: string }[]).map((r) => r.type)
    expect(types.length).toBeGreaterThan(0)
    expect(types.every((t) => t.startsWith('api.token.'))).toBe(true)
    const q = await get('/risk/audit?q=T-REVOKED&limit=100')
    const hits = q.json['records'] as { payload: unknown }[]
    expect(hits.length).toBeGreaterThan(0)
    expect(hits.every((r) => JSON.stringify(r).toLowerCase().includes('t-revoked'))).toBe(true)
    expect((await get('/risk/audit?type=no.such.type')).json).toMatchObject({ records: [], nextBefore: null })
    expect((await get('/risk/audit?before=abc')).status).toBe(400)
  })

  it('/risk/status shows each configured limit with its current use', async () => {
    const r = await get('/risk/status')
    expect(Array.isArray(r.json['usage'])).toBe(true)
  })

  it("/risk/status's gross exposure is the figure the pre-trade check compares, and its daily limit the one in force", async () => {
    const limited = new MemoryStore()
    const viewer = (await createToken(limited, { name: 'v', role: 'viewer', createdBy: 'operator:test' })).token
    const session = await buildSession({ kind: 'paper',
      store: limited,
      stepMs: 20,
      riskSettings: { ...DEFAULT_RISK, limits: { ...DEFAULT_RISK.limits, maxGrossExposure: dec('10000000'), maxDailyLoss: dec('1000000'), maxDailyLossPct: 0.5 } },
    })
    const tokens = new TokenRegistry(limited)
    await tokens.start()
    const server = (await buildServer({ ...deps, session, store: limited, tokens })).app
    const ran = session.start()
    try {
      await waitFor('a position', () => session.trader.ledger.positions().some((p) => !p.amount.isZero()), 15_000)
      session.stop()
      await ran
      const r = await server.inject({ method: 'GET', url: '/risk/status', headers: { authorization: `Bearer ${viewer}` } })
      const body = r.json() as { usage: { limit: string; current: string }[]; dailyPnl: { limit: string } }
      const gross = body.usage.find((u) => u.limit === 'maxGrossExposure')
      expect(gross?.current).toBe(session.trader.grossExposure().toString())
      expect(Number(gross?.current)).toBeGreaterThan(0)
      expect(body.dailyPnl.limit).toBe(session.trader.equity().mul(0.5).toString())
    } finally {
      session.stop()
      await ran
      await server.close()
      await tokens.stop()
    }
  }, 30_000)

  it('serves the dashboard build at / (and says so when it was not built)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-web-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app-1.js"></script>')
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)')
    const withUi = (await buildServer(deps, { dashboardDir: dir })).app
    const without = (await buildServer(deps, { dashboardDir: join(dir, 'missing') })).app
    try {
      const index = await withUi.inject({ method: 'GET', url: '/' })
      expect(index.statusCode).toBe(200)
      expect(index.headers['content-type']).toContain('text/html')
      expect(index.headers['content-security-policy']).toContain("default-src 'self'")
      expect(index.body).toContain('/assets/app-1.js')
      const asset = await withUi.inject({ method: 'GET', url: '/assets/app-1.js' })
      expect(asset.statusCode).toBe(200)
      expect(asset.headers['cache-control']).toContain('immutable')
      expect((await withUi.inject({ method: 'GET', url: '/assets/none.js' })).statusCode).toBe(404)
      // API routes are unchanged beside it.
      expect((await withUi.inject({ method: 'GET', url: '/status' })).statusCode).toBe(401)
      const bare = await without.inject({ method: 'GET', url: '/' })
      expect(bare.statusCode).toBe(200)
      expect(bare.body).toContain('dashboard was not built')
    } finally {
      await withUi.close()
      await without.close()
    }
  })
})

describe('GET /canary/status', () => {
  it('says `none` with no roll-out (the stages it would go through), then shows the stage among the stages, the criteria with measured values and the history', async () => {
    const none = await app.inject({ method: 'GET', url: '/canary/status', headers: auth(token.viewer) })
    expect(none.statusCode).toBe(200)
    expect(none.json()).toMatchObject({ status: 'none', message: expect.stringContaining('sofia canary start') })
    expect((none.json() as { stages: { name: string }[] }).stages.map((x) => x.name)).toEqual(['shadow', 'canary-1', 'canary-2', 'production'])
    const t0 = Date.UTC(2026, 0, 1)
    const criteria = [{ name: 'max_drawdown', status: 'pass', measured: '0.4%', threshold: '≤ 2%' }]
    await store.write({
      state: [
        {
          key: 'canary.state',
          value: {
            strategy: 'sma-cross',
            version: 'v2',
            status: 'running',
            stage: 'canary-1',
            stageStartedAt: t0 + 1_000,
            startedAt: t0,
            history: [{ stage: 'shadow', startedAt: t0, endedAt: t0 + 1_000, outcome: 'progressed', criteria }],
            lastEvaluation: { stage: 'canary-1', at: t0 + 2_000, elapsedMs: 1_000, criteria, decision: 'hold', failed: [] },
          },
        },
      ],
    })
    try {
      const res = await app.inject({ method: 'GET', url: '/canary/status', headers: auth(token.viewer) })
      expect(res.statusCode).toBe(200)
      const body = res.json() as { stage: string; version: string; stages: { name: string; current: boolean; done: boolean }[]; evaluation: { criteria: unknown[] }; history: { stage: string; outcome: string }[] }
      expect(body).toMatchObject({ strategy: 'sma-cross', version: 'v2', status: 'running', stage: 'canary-1', stageStartedAt: new Date(t0 + 1_000).toISOString() })
      expect(body.stages.map((s) => [s.name, s.current, s.done])).toEqual([['shadow', false, true], ['canary-1', true, false], ['canary-2', false, false], ['production', false, false]])
      expect(body.evaluation.criteria).toEqual(criteria)
      expect(body.history.map((h) => [h.stage, h.outcome])).toEqual([['shadow', 'progressed']])
    } finally {
      await store.write({ state: [{ key: 'canary.state', value: null }] })
    }
  })
})
