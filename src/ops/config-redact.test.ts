import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { redactConfigText } from './config-redact.js'

describe('redactConfigText', () => {
  it('replaces every credential of the shipped examples, keeping keys, comments and the rest', () => {
    const alerts = readFileSync(new URL('../../config/alerts.example.yaml', import.meta.url), 'utf8')
    const { text, redacted } = redactConfigText(alerts)
    expect(redacted).toEqual(['notifiers.webhook.url', 'notifiers.webhook.headers.authorization', 'notifiers.slack.url', 'notifiers.pagerduty.routingKey', 'notifiers.email.password'])
    for (const secret of ['hooks.slack.com/services/T000', 'Bearer change-me', '0123456789abcdef0123456789abcdef', 'password: change-me']) expect(text).not.toContain(secret)
    expect(text).toContain('# Each notifier is optional')
    const before = parse(alerts) as { rules: unknown[]; notifiers: { email: { host: string } } }
    const after = parse(text) as typeof before
    expect(after.rules).toEqual(before.rules)
    expect(after.notifiers.email.host).toBe('smtp.example.com')
  })

  it('keeps a database URL but its password, and the exchange keys go', () => {
    const yaml = 'exchange:\n  id: binance\n  apiKey: AKIA123\n  apiSecret: s3cr3t # the secret\ndatabase:\n  url: postgres://sofia:hunter2@db:5432/sofia\n'
    const { text, redacted } = redactConfigText(yaml)
    expect(redacted).toEqual(['exchange.apiKey', 'exchange.apiSecret', 'database.url'])
    expect(text).not.toMatch(/AKIA123|s3cr3t|hunter2/)
    expect(parse(text)).toEqual({ exchange: { id: 'binance', apiKey: '[REDACTED]', apiSecret: '[REDACTED]' }, database: { url: 'postgres://sofia:[REDACTED]@db:5432/sofia' } })
    expect(text).toContain('# the secret')
  })

  it('leaves a file without secrets byte for byte', () => {
    const yaml = 'mode: paper # comment\nrisk:\n  maxDailyLoss: 500\n'
    expect(redactConfigText(yaml)).toEqual({ text: yaml, redacted: [] })
  })
})
