/**
 * Alerting wired into a running `sofia serve`: a rule from config/alerts.yaml fires when the kill switch is
 * activated through the API, its notification reaches a local webhook receiver, GET /alerts lists it and
 * GET /slo/status reports the SLOs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sofia, sofiaAsync } from './helpers.js'
import { createToken, startServe, stopServe } from './serve.js'

describe('alert rules in sofia serve', () => {
  const received: { rule?: string; state?: string; severity?: string }[] = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      received.push(JSON.parse(body) as { rule?: string; state?: string })
      res.writeHead(200).end('ok')
    })
  })
  afterAll(() => receiver.close())

  it('fires KillSwitchActive within seconds of an API activation and delivers it to the webhook', async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const port = (receiver.address() as AddressInfo).port
    const cwd = mkdtempSync(join(tmpdir(), 'sofia-alerts-'))
    mkdirSync(join(cwd, 'config'))
    writeFileSync(
      join(cwd, 'config', 'alerts.yaml'),
      [
        'notifiers:',
        `  webhook: { url: "http://127.0.0.1:${port}/hook" }`,
        'rules:',
        '  - name: KillSwitchActive',
        '    metric: kill_switch_active',
        "    op: '=='",
        '    threshold: 1',
        '    severity: critical',
        '    action: notify',
        '',
      ].join('\n'),
    )
    const dataDir = join(cwd, 'var')
    const bearer = createToken(dataDir, 'ops', 'operator', cwd)
    const server = await startServe(['--port', '0', '--data-dir', dataDir, '--step-ms', '20'], { cwd })
    try {
      const url = server.url
      const auth = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }
      const act = await fetch(`${url}/kill-switch/activate`, { method: 'POST', headers: auth, body: JSON.stringify({ reason: 'alert test' }) })
      expect(act.status).toBe(200)
      const until = Date.now() + 15_000
      while (!received.some((a) => a.rule === 'KillSwitchActive' && a.state === 'firing') && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(received.find((a) => a.rule === 'KillSwitchActive')).toMatchObject({ state: 'firing', severity: 'critical' })
      const alerts = (await (await fetch(`${url}/alerts`, { headers: auth })).json()) as { firing?: { rule: string }[] }
      expect(JSON.stringify(alerts)).toMatch(/KillSwitchActive/)
      const slo = (await (await fetch(`${url}/slo/status`, { headers: auth })).json()) as unknown
      expect(JSON.stringify(slo)).toMatch(/order_success/)
      // `sofia slo` reads the same through the API with a token.
      const cli = sofia(['slo', '--data-dir', dataDir], { cwd, env: { SOFIA_TOKEN: bearer } })
      expect(cli.stderr).toBe('')
      expect(cli.stdout).toMatch(/^order_success\s+\S+\s+objective 0\.99/m)
      expect(sofia(['slo', '--data-dir', dataDir], { cwd }).stderr).toMatch(/SOFIA_TOKEN is not set/)
    } finally {
      await stopServe(server, 'SIGTERM')
    }
  }, 60_000)
})

describe('reports through the configured notifiers', () => {
  it('sends the daily report to the webhook of config/alerts.yaml (and not with --no-send)', async () => {
    const received: { rule?: string; severity?: string; summary?: string; description?: string }[] = []
    const receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        received.push(JSON.parse(body) as (typeof received)[number])
        res.writeHead(200).end('ok')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    try {
      const port = (receiver.address() as AddressInfo).port
      const cwd = mkdtempSync(join(tmpdir(), 'sofia-report-send-'))
      mkdirSync(join(cwd, 'config'))
      writeFileSync(join(cwd, 'config', 'alerts.yaml'), `notifiers:\n  webhook: { url: "http://127.0.0.1:${port}/hook" }\n`)
      const dataDir = join(cwd, 'var')
      expect(sofia(['paper', '--data-dir', dataDir, '--duration', '1', '--step-ms', '10', '--json'], { cwd }).code).toBe(0)
      // Asynchronous runs: the receiver lives in this process and must keep answering meanwhile.
      const quiet = await sofiaAsync(['report', 'daily', '--no-send', '--data-dir', dataDir], { cwd })
      expect(quiet.code).toBe(0)
      expect(received).toHaveLength(0)
      const r = await sofiaAsync(['report', 'daily', '--data-dir', dataDir], { cwd })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(received).toHaveLength(1)
      expect(received[0]).toMatchObject({ rule: 'Report', severity: 'info' })
      expect(received[0]!.summary).toMatch(/daily report/i)
      expect(received[0]!.description).toMatch(/P&L/)
    } finally {
      receiver.close()
    }
  }, 60_000)
})
