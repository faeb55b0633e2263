/**
 * @module observability/notifiers/http
 * POSTing JSON for the HTTP notifiers: a non-2xx answer throws, retryable unless it is a 4xx other than
 * 408 (timeout) and 429 (rate limited). Error messages never contain the URL (Slack's holds its token).
 */
import { SofiaError } from '../../model/index.js'
import { PermanentDeliveryError } from './delivery.js'

export class HttpDeliveryError extends SofiaError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export async function postJson(
  url: string,
  body: unknown,
  signal: AbortSignal,
  what: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'sofia-alerts', ...headers },
      body: JSON.stringify(body),
      signal,
    })
  } catch (err) {
    throw new SofiaError(`${what}: request failed: ${(err as Error).message}`, { cause: err })
  }
  const text = await res.text().catch(() => '')
  if (res.ok) return
  const message = `${what}: HTTP ${res.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentDeliveryError(message)
  throw new HttpDeliveryError(res.status, message)
}
