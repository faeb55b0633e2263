import { describe, expect, it } from 'vitest'
import { BinanceError } from './binance-error.js'
import { hmacHex, verifySignedRequest, verifyWsParams } from './signature.js'

const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j'
const NOW = 1_700_000_000_000

function signed(query: string, secret = SECRET): string {
  return `${query}&signature=${hmacHex(secret, query)}`
}
function params(query: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(query))
}

describe('Binance request signatures', () => {
  it('matches the HMAC example of the Binance API documentation', () => {
    const q = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'
    expect(hmacHex(SECRET, q)).toBe('c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71')
  })

  const q = `symbol=BTCUSDT&timestamp=${NOW - 100}&recvWindow=5000`
  it.each([
    ['a good signature in the query', { query: signed(q), body: '' }, undefined],
    ['a good signature in the body', { query: '', body: signed(q) }, undefined],
    ['a wrong secret', { query: signed(q, 'other'), body: '' }, -1022],
    ['no signature', { query: q, body: '' }, -1102],
    ['a tampered parameter', { query: signed(q).replace('BTCUSDT', 'ETHUSDT'), body: '' }, -1022],
    ['a timestamp outside recvWindow', { query: signed(`symbol=BTCUSDT&timestamp=${NOW - 6000}&recvWindow=5000`), body: '' }, -1021],
    ['a timestamp from the future', { query: signed(`symbol=BTCUSDT&timestamp=${NOW + 5000}`), body: '' }, -1021],
    ['recvWindow above 60000', { query: signed(`symbol=BTCUSDT&timestamp=${NOW}&recvWindow=70000`), body: '' }, -1131],
  ])('%s', (_name, req, code) => {
    const run = (): void => verifySignedRequest({ ...req, params: params(req.query + req.body) }, SECRET, NOW)
    if (code === undefined) expect(run).not.toThrow()
    else expect(run).toThrow(expect.objectContaining({ code }) as BinanceError)
  })

  it('verifies WS API parameters signed over their sorted keys', () => {
    const p: Record<string, string | number> = { timestamp: NOW, apiKey: 'K', recvWindow: 10000 }
    p['signature'] = hmacHex(SECRET, `apiKey=K&recvWindow=10000&timestamp=${NOW}`)
    expect(() => verifyWsParams(p, SECRET, NOW)).not.toThrow()
    expect(() => verifyWsParams({ ...p, apiKey: 'L' }, SECRET, NOW)).toThrow(BinanceError)
  })
})
