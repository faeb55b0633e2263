/**
 * @module system/control-inbox
 * A wall-clock session's channels from operators in other processes, polled four times a second: the
 * KILL_SWITCH file in the working directory, and requests left in the store by `sofia` commands (see
 * `control`), each executed by the session and answered in the store. It also holds the session's lease
 * (its heartbeat), which tells those commands a session is alive.
 */
import { existsSync, writeFileSync } from 'node:fs'
import type { KillSwitchEvent } from '../risk/index.js'
import type { ControlRequest, ControlResponse } from './control.js'
import { HEARTBEAT_MS, LEASE_KEY, REQUEST_PREFIX, RESPONSE_PREFIX, newLease, pendingRequests } from './control.js'
import type { CommandResult, SafetyOptions } from './safety-types.js'

export interface ControlInboxOptions extends Pick<SafetyOptions, 'persistence' | 'killFile' | 'killSwitch' | 'mode' | 'log'> {
  /** Carries out a request, waiting for its outcome. */
  readonly execute: (request: ControlRequest) => Promise<CommandResult>
  /** The KILL_SWITCH file appeared. */
  readonly onKillFile: (path: string) => void
}

export class ControlInbox {
  private poller: NodeJS.Timeout | undefined
  private polling = false
  private lastHeartbeat = 0
  private lease = newLease('paper', Date.now())

  constructor(private readonly o: ControlInboxOptions) {}

  start(): void {
    this.poller = setInterval(() => {
      this.poll().catch((error: unknown) => this.o.log?.(`safety poll failed: ${String(error)}`))
    }, 250)
    this.poller.unref()
    this.heartbeat(Date.now())
  }

  stop(): void {
    if (this.poller !== undefined) clearInterval(this.poller)
    this.o.persistence?.setStateQuiet(LEASE_KEY, null)
  }

  /** Looks for the KILL_SWITCH file now (before an order is checked, not only at the next poll). */
  checkKillFile(): void {
    const path = this.o.killFile
    if (path !== undefined && !this.o.killSwitch.active && existsSync(path)) this.o.onKillFile(path)
  }

  private async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const now = Date.now()
      this.checkKillFile()
      if (now - this.lastHeartbeat >= HEARTBEAT_MS) this.heartbeat(now)
      const p = this.o.persistence
      if (p?.store === undefined) return
      for (const request of pendingRequests(await p.store.loadState())) {
        const result = await this.o.execute(request)
        const response: ControlResponse = { id: request.id, ...result, at: Date.now() }
        p.setStateQuiet(REQUEST_PREFIX + request.id, null)
        p.setStateQuiet(RESPONSE_PREFIX + request.id, response)
      }
    } finally {
      this.polling = false
    }
  }

  private heartbeat(now: number): void {
    this.lastHeartbeat = now
    this.lease = { ...this.lease, mode: this.o.mode, heartbeat: now }
    this.o.persistence?.setStateQuiet(LEASE_KEY, this.lease)
  }
}

/** Writes the KILL_SWITCH file naming a trip; returns its path, or undefined (none configured, or it failed: logged). */
export function writeKillFile(path: string | undefined, event: KillSwitchEvent, log?: (line: string) => void): string | undefined {
  if (path === undefined || existsSync(path)) return path
  try {
    const at = new Date(event.at).toISOString()
    writeFileSync(path, `${at} kill switch tripped by ${event.actor} (${event.trigger ?? '?'}): ${event.reason}\nRemove this file, then 'sofia kill-switch deactivate --reason ...'.\n`)
    return path
  } catch (error) {
    log?.(`could not write ${path}: ${String(error)}`)
    return undefined
  }
}
