/**
 * @module exchange-sim/signature
 * Binance request signing (HMAC-SHA256, hex) for SIGNED endpoints: the signature covers the query string
 * concatenated with the body (Binance's `totalParams`), without the `signature` parameter itself, and the
 * `timestamp` must fall within `recvWindow` (default 5000 ms, at most 60000) of the server clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { errors, mandatory } from './binance-error.js'

/** Hex HMAC-SHA256 of `payload` under `secret`: what a Binance client sends as `signature`. */
export function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex')
}

/** Removes `signature=…` from a raw urlencoded string, returning what was signed and the signature. */
export function splitSignature(raw: string): { payload: string; signature: string | undefined } {
  if (raw === '') return { payload: '', signature: undefined }
  let signature: string | undefined
  const kept: string[] = []
  for (const part of raw.split('&')) {
    if (part.startsWith('signature=')) signature = decodeURIComponent(part.slice('signature='.length))
    else kept.push(part)
  }
  return { payload: kept.join('&'), signature }
}

export interface SignedRequest {
  /** Raw query string (without `?`). */
  readonly query: string
  /** Raw urlencoded body. */
  readonly body: string
  readonly params: Readonly<Record<string, string>>
}

/** Throws the BinanceError Binance answers when the signature or the timestamp is wrong. */
export function verifySignedRequest(request: SignedRequest, secret: string, now: number): void {
  const q = splitSignature(request.query)
  const b = splitSignature(request.body)
  const signature = q.signature ?? b.signature
  if (signature === undefined || signature === '') throw mandatory('signature')
  const timestampText = request.params['timestamp']
  if (timestampText === undefined || !/^\d+$/.test(timestampText)) throw mandatory('timestamp')
  const recvText = request.params['recvWindow']
  let recvWindow = 5000
  if (recvText !== undefined) {
    if (!/^\d+$/.test(recvText)) throw mandatory('recvWindow')
    recvWindow = Number(recvText)
    if (recvWindow > 60_000) throw errors.recvWindowTooLarge()
  }
  const expected = Buffer.from(hmacHex(secret, q.payload + b.payload), 'utf8')
  const given = Buffer.from(signature.toLowerCase(), 'utf8')
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw errors.badSignature()
  const timestamp = Number(timestampText)
  if (timestamp > now + 1000) throw errors.timestampAhead()
  if (now - timestamp > recvWindow) throw errors.timestampOutside()
}

/** WS API signing: parameters sorted by key, urlencoded, `signature` excluded (what ccxt's `signParams` does). */
export function verifyWsParams(params: Readonly<Record<string, unknown>>, secret: string, now: number): void {
  const entries = Object.entries(params)
    .filter(([k]) => k !== 'signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${String(v)}`)
  const signature = params['signature']
  if (typeof signature !== 'string') throw mandatory('signature')
  const query = entries.join('&')
  const stringParams: Record<string, string> = {}
  for (const [k, v] of Object.entries(params)) stringParams[k] = String(v)
  verifySignedRequest({ query: `${query}&signature=${signature}`, body: '', params: stringParams }, secret, now)
}
