import { once } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterEach, describe, expect, it } from 'vitest'
import { Secret } from '../../config/index.js'
import type { Alert } from '../alert-rules.js'
import { DEFAULT_DELIVERY } from '../alert-rules.js'
import { createMetrics } from '../metrics.js'
import { NotificationQueue } from './delivery.js'
import type { DeliveryFailure, Notifier } from './delivery.js'
import { EmailNotifier } from './email.js'
import { NotifierHub, createNotifierHub, internalAlertHooks } from './hub.js'
import { PagerDutyNotifier } from './pagerduty.js'
import { SlackNotifier } from './slack.js'
import { WebhookNotifier } from './webhook.js'

const alert: Alert = {
  rule: 'DailyLoss80',
  labels: { kind: 'daily' },
  key: 'DailyLoss80{kind="daily"}',
  state: 'firing',
  severity: 'critical',
  action: 'kill_switch',
  value: -850,
  op: '<=',
  threshold: -800,
  summary: 'DailyLoss80: -850 <= -800 (kind=daily)',
  description: 'Daily P&L at 80% of the limit',
  activeSince: 1_700_000_000_000,
  firedAt: 1_700_000_030_000,
  at: 1_700_000_030_000,
}

const fast = { ...DEFAULT_DELIVERY, attempts: 4, backoffMs: 10, maxBackoffMs: 40, timeoutMs: 2000 }

interface Receiver {
  readonly url: string
  readonly bodies: unknown[]
  readonly requests: { path: string; headers: IncomingMessage['headers'] }[]
  close(): Promise<void>
}

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

/** A local HTTP receiver that answers `failFirst` requests with 503 (or never, when `hang`). */
async function receiver(options: { failFirst?: number; status?: number; hang?: boolean } = {}): Promise<Receiver> {
  const bodies: unknown[] = []
  const requests: Receiver['requests'] = []
  let n = 0
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      n++
      requests.push({ path: req.url ?? '', headers: req.headers })
      if (options.hang) return
      if (n <= (options.failFirst ?? 0)) {
        res.writeHead(options.status ?? 503).end('try later')
        return
      }
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const close = async (): Promise<void> => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
  cleanup.push(close)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, requests, close }
}

async function results(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const v of (await metrics.notificationsTotal.get()).values) out[`${v.labels.notifier}:${v.labels.result}`] = v.value
  return out
}

describe('HTTP notifiers against a local receiver', () => {
  it('webhook POSTs the alert JSON, retrying with backoff after failures', async () => {
    const r = await receiver({ failFirst: 2 })
    const metrics = createMetrics({ processMetrics: false })
    const q = new NotificationQueue(new WebhookNotifier({ url: new Secret(r.url), headers: { authorization: new Secret('Bearer t0k') } }), fast, { counter: metrics.notificationsTotal })
    const started = performance.now()
    q.enqueue(alert)
    expect(performance.now() - started).toBeLessThan(20)
    await q.drain()
    expect(r.requests).toHaveLength(3)
    expect(q.lastAttempts).toBe(3)
    expect(r.bodies).toEqual([alert])
    expect(r.requests[0]?.headers.authorization).toBe('Bearer t0k')
    expect(await results(metrics)).toEqual({ 'webhook:retried': 2, 'webhook:sent': 1 })
  })

  it('slack sends {text, blocks}', async () => {
    const r = await receiver({ failFirst: 1 })
    const q = new NotificationQueue(new SlackNotifier({ url: new Secret(r.url) }), fast)
    q.enqueue(alert)
    q.enqueue({ ...alert, state: 'resolved', summary: 'DailyLoss80: resolved (kind=daily)' })
    await q.drain()
    expect(r.requests).toHaveLength(3)
    const [firing, resolved] = r.bodies as { text: string; blocks: { type: string }[] }[]
    expect(firing?.text).toBe(':rotating_light: [CRITICAL] DailyLoss80: -850 <= -800 (kind=daily)')
    expect(firing?.blocks.map((b) => b.type)).toEqual(['section', 'context'])
    expect(JSON.stringify(firing?.blocks)).toContain('-850 &lt;= -800')
    expect(resolved?.text).toMatch(/^:white_check_mark: \[RESOLVED\] /)
  })

  it('pagerduty sends Events v2 trigger and resolve under one dedup_key', async () => {
    const r = await receiver({ failFirst: 1, status: 429 })
    const q = new NotificationQueue(new PagerDutyNotifier({ routingKey: new Secret('R0UTING'), url: r.url, source: 'sofia-test' }), fast)
    q.enqueue(alert)
    q.enqueue({ ...alert, state: 'resolved', resolvedAt: alert.at + 1, at: alert.at + 1 })
    await q.drain()
    expect(r.requests).toHaveLength(3)
    expect(r.bodies[0]).toEqual({
      routing_key: 'R0UTING',
      event_action: 'trigger',
      dedup_key: 'DailyLoss80{kind="daily"}',
      payload: {
        summary: alert.summary,
        source: 'sofia-test',
        severity: 'critical',
        timestamp: new Date(alert.at).toISOString(),
        component: 'sofia',
        group: 'DailyLoss80',
        class: 'kill_switch',
        custom_details: {
          labels: { kind: 'daily' },
          value: -850,
          op: '<=',
          threshold: -800,
          action: 'kill_switch',
          active_since: new Date(alert.activeSince).toISOString(),
          description: 'Daily P&L at 80% of the limit',
        },
      },
    })
    expect(r.bodies[1]).toEqual({ routing_key: 'R0UTING', event_action: 'resolve', dedup_key: 'DailyLoss80{kind="daily"}' })
  })

  it('gives up after the bounded attempts, counts and reports the failure', async () => {
    const r = await receiver({ failFirst: 100 })
    const metrics = createMetrics({ processMetrics: false })
    const failures: DeliveryFailure[] = []
    const logs: string[] = []
    const logger = { warn: (_: object, msg: string) => logs.push(`warn ${msg}`), error: (o: object, msg: string) => logs.push(`error ${msg} ${JSON.stringify(o)}`) }
    const q = new NotificationQueue(new WebhookNotifier({ url: new Secret(r.url) }), { ...fast, attempts: 3 }, { counter: metrics.notificationsTotal, logger, onFailure: (f) => failures.push(f) })
    q.enqueue(alert)
    await q.drain()
    expect(r.requests).toHaveLength(3)
    expect(failures.map((f) => [f.notifier, f.attempts, (f.error as Error).message])).toEqual([['webhook', 3, 'webhook: HTTP 503: try later']])
    expect(await results(metrics)).toEqual({ 'webhook:retried': 2, 'webhook:failed': 1 })
    expect(logs.at(-1)).toMatch(/^error notification via webhook failed .*"attempts":3/)
    expect(logs.join('\n')).not.toContain(r.url)
  })

  it('does not retry a permanent 4xx', async () => {
    const r = await receiver({ failFirst: 100, status: 400 })
    const q = new NotificationQueue(new WebhookNotifier({ url: new Secret(r.url) }), fast)
    q.enqueue(alert)
    await q.drain()
    expect(r.requests).toHaveLength(1)
  })

  it('never blocks the caller: enqueue returns at once while the receiver hangs; attempts time out', async () => {
    const r = await receiver({ hang: true })
    const metrics = createMetrics({ processMetrics: false })
    const q = new NotificationQueue(new WebhookNotifier({ url: new Secret(r.url) }), { ...fast, attempts: 2, timeoutMs: 150, queueSize: 3 }, { counter: metrics.notificationsTotal })
    const started = performance.now()
    for (let i = 0; i < 10; i++) expect(q.enqueue({ ...alert, key: `k${i}` })).toBe(true)
    expect(performance.now() - started).toBeLessThan(20)
    expect(q.pending).toBe(3) // a full queue; delivery starts on a later turn
    expect((await results(metrics))['webhook:dropped']).toBe(7)
    await new Promise((r) => setTimeout(r, 50))
    expect(q.pending).toBe(3) // one in flight (hanging) + two waiting
    expect(r.requests).toHaveLength(1)
    await q.close(0)
    expect(q.enqueue(alert)).toBe(false)
  })
})

describe('email notifier against a local SMTP server', () => {
  it('delivers after the server refuses the first attempts with 451', async () => {
    const messages: string[] = []
    let attempts = 0
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          attempts++
          if (attempts <= 2) {
            const err = Object.assign(new Error('mailbox busy'), { responseCode: 451 })
            callback(err)
            return
          }
          messages.push(Buffer.concat(chunks).toString('utf8'))
          callback()
        })
      },
    })
    server.listen(0, '127.0.0.1')
    await once(server.server, 'listening')
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())))
    const port = (server.server.address() as AddressInfo).port
    const notifier = new EmailNotifier({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, from: 'sofia@example.com', to: ['ops@example.com'] }, 2000)
    const q = new NotificationQueue(notifier, fast)
    q.enqueue(alert)
    await q.drain()
    notifier.close()
    expect(attempts).toBe(3)
    expect(q.lastAttempts).toBe(3)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toContain('Subject: [Sofia CRITICAL] DailyLoss80: -850 <= -800 (kind=daily)')
    expect(messages[0]).toContain('condition: -850 <= -800')
    expect(messages[0]).toContain('To: ops@example.com')
  })
})

describe('NotifierHub', () => {
  it('fans out by severity, skips pending, and keeps a failing notifier out of its own failure alert', async () => {
    const sent: string[] = []
    const make = (name: string, fail = false): Notifier => ({
      name,
      send: (a: Alert) => {
        if (fail) return Promise.reject(new Error(`${name} down`))
        sent.push(`${name}:${a.rule}:${a.state}`)
        return Promise.resolve()
      },
    })
    const raised: { rule: string; labels: Readonly<Record<string, string>>; summary: string }[] = []
    const ref: { hub?: NotifierHub } = {}
    const hooks = internalAlertHooks(
      () => ({
        raiseInternal: (rule, labels, severity, summary, now) => {
          raised.push({ rule, labels, summary })
          ref.hub?.notify({ ...alert, rule, labels, severity, summary, internal: true, key: `${rule}:${labels.notifier ?? ''}`, at: now })
        },
        clearInternal: () => undefined,
      }),
      () => 0,
    )
    const hub = new NotifierHub(
      [{ notifier: make('slack') }, { notifier: make('pagerduty'), minSeverity: 'critical' }, { notifier: make('webhook', true) }],
      { ...fast, attempts: 1 },
      hooks,
    )
    ref.hub = hub
    expect(hub.notify({ ...alert, state: 'pending' })).toBe(0)
    expect(hub.notify({ ...alert, severity: 'warning' })).toBe(2)
    await hub.drain()
    await hub.drain()
    expect(raised.map((r) => [r.rule, r.labels.notifier])).toEqual([['NotifierFailing', 'webhook']])
    expect(sent).toEqual(['slack:DailyLoss80:firing', 'slack:NotifierFailing:firing'])
    await hub.close(0)
  })

  it('builds the configured notifiers', () => {
    const hub = createNotifierHub({
      webhook: { url: new Secret('http://127.0.0.1:1/x') },
      pagerduty: { routingKey: new Secret('k'), url: 'http://127.0.0.1:1/pd', source: 'sofia' },
      email: { host: '127.0.0.1', port: 2525, secure: false, from: 'a@b.c', to: ['d@e.f'] },
      delivery: fast,
    })
    expect(hub.names).toEqual(['webhook', 'pagerduty', 'email'])
  })
})
