/**
 * @module api/tickets
 * Event-stream tickets. EventSource cannot send an Authorization header, and a bearer token in a URL ends up
 * in logs, proxies and browser history. So the dashboard trades its token for a ticket (`POST /events/ticket`)
 * and opens `/events?ticket=…`: random, good for one connection only and for 30 s, kept in memory as a hash.
 * A leaked ticket is useless: used, or expired moments later, and it opens nothing but the event stream.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Principal } from './tokens.js'

export const TICKET_TTL_MS = 30_000

const hash = (ticket: string): string => createHash('sha256').update(ticket).digest('hex')

export class TicketBook {
  private readonly tickets = new Map<string, { principal: Principal; expiresAt: number }>()

  constructor(private readonly now: () => number = Date.now) {}

  /** A new ticket for `principal`'s event stream. */
  issue(principal: Principal): { ticket: string; expiresAt: string } {
    const now = this.now()
    for (const [key, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(key)
    const ticket = `sofia_ticket_${randomBytes(32).toString('base64url')}`
    const expiresAt = now + TICKET_TTL_MS
    this.tickets.set(hash(ticket), { principal, expiresAt })
    return { ticket, expiresAt: new Date(expiresAt).toISOString() }
  }

  /** The principal a ticket was issued to, once; undefined for a used, expired or unknown ticket. */
  redeem(ticket: string): Principal | undefined {
    const key = hash(ticket)
    const t = this.tickets.get(key)
    if (t === undefined) return undefined
    this.tickets.delete(key)
    return t.expiresAt > this.now() ? t.principal : undefined
  }

  get size(): number {
    return this.tickets.size
  }
}
