import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Secret } from '../config/index.js'
import { createLogger } from './logger.js'

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'))
      cb()
    },
  })
  return { stream, text: () => chunks.join(''), lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('createLogger', () => {
  it('writes structured JSON with levels and never the secrets', () => {
    const out = capture()
    const log = createLogger({ level: 'info', destination: out.stream, base: { mode: 'paper' } })
    log.info(
      {
        apiKey: 'AK-123',
        apiSecret: 'SUPERSECRET-1',
        exchange: { apiSecret: 'SUPERSECRET-2', nested: { deeper: { client_secret: 'SUPERSECRET-3', API_KEY: 'SUPERSECRET-4' } } },
        req: { headers: { authorization: 'Bearer SUPERSECRET-5', 'x-api-key': 'SUPERSECRET-6', accept: 'json' } },
        smtp: { password: 'SUPERSECRET-7', user: 'ops' },
        url: 'postgres://sofia:SUPERSECRET-8@db:5432/sofia',
        list: [{ token: 'SUPERSECRET-9' }],
        wrapped: new Secret('SUPERSECRET-10'),
        routingKey: 'SUPERSECRET-11',
        qty: 3,
      },
      'order placed',
    )
    log.child({ accessToken: 'SUPERSECRET-12' }).child({ session: { password: 'SUPERSECRET-13' } }).warn('child')
    log.debug('not at info')
    const text = out.text()
    expect(text).not.toMatch(/SUPERSECRET|AK-123/)
    const [line, child] = out.lines()
    expect(line).toMatchObject({ level: 'info', msg: 'order placed', name: 'sofia', mode: 'paper', qty: 3, apiSecret: '[REDACTED]' })
    expect(line?.smtp).toEqual({ password: '[REDACTED]', user: 'ops' })
    expect((line?.req as { headers: Record<string, string> }).headers.accept).toBe('json')
    expect(line?.url).toBe('postgres://sofia:[REDACTED]@db:5432/sofia')
    expect(child).toMatchObject({ level: 'warn', accessToken: '[REDACTED]' })
    expect(out.lines()).toHaveLength(2)
    expect(typeof line?.time).toBe('string')
  })
})
