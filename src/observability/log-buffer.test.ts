import { describe, expect, it } from 'vitest'
import { LogBuffer, levelOfLine } from './log-buffer.js'

describe('LogBuffer', () => {
  it('keeps the newest lines up to its capacity and lists them newest first, by level and text', () => {
    let t = 0
    const logs = new LogBuffer(3, () => ++t)
    logs.push('info', 'session', 'one')
    logs.push('warn', 'session', 'two')
    logs.push('error', 'market-maker', 'three')
    logs.push('info', 'session', 'four')
    expect(logs.recent().map((l) => l.message)).toEqual(['four', 'three', 'two'])
    expect(logs.recent({ level: 'warn' }).map((l) => l.message)).toEqual(['three', 'two'])
    expect(logs.recent({ text: 'MARKET' }).map((l) => l.message)).toEqual(['three'])
    expect(logs.recent({ limit: 1 }).map((l) => [l.seq, l.at])).toEqual([[4, 4]])
  })

  it('reads the API server pino lines and the session lines levels', () => {
    const logs = new LogBuffer()
    logs.pushPino('{"level":40,"msg":"request errored","req":{"method":"GET","url":"/events?ticket=[redacted]"},"res":{"statusCode":401}}')
    logs.pushPino('not json')
    expect(logs.recent().map((l) => [l.level, l.source, l.message])).toEqual([['warn', 'api', 'request errored · GET /events?ticket=[redacted] · 401']])
    expect([levelOfLine('[critical] strategy x halted'), levelOfLine('sofia: warning: y'), levelOfLine('resync xsim: 0 fills applied')]).toEqual(['error', 'warn', 'info'])
  })
})
