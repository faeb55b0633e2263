/**
 * @module system/operator
 * The operator's commands (kill switch, trading state, cancel-all, status, pilot-off) from outside a
 * session. With a live session they go through the control channel and the session acts; with none, they
 * act on the store directly (the only writer then): the state a restarted session recovers, recorded in the
 * audit chain with the operator as actor.
 */
import { existsSync } from 'node:fs'
import { AuditLog } from '../audit/index.js'
import { Ledger } from '../ledger/index.js'
import { makeInstrument } from '../model/index.js'
import type { Instrument } from '../model/index.js'
import { INACTIVE, KillSwitch, PositionOverride, TradingStates } from '../risk/index.js'
import type { KillSwitchEvent, KillSwitchMode, KillSwitchState, TradingStatesSnapshot } from '../risk/index.js'
import { fillTrade } from '../store/index.js'
import type { Store, WriteBatch } from '../store/index.js'
import { EMULATED_STATE_KEY } from '../execution/index.js'
import type { EmulatedOrder } from '../execution/index.js'
import { liveSession, sendRequest } from './control.js'
import { answer, fromWire } from './command-results.js'
import type { CommandOutcome, OfflineStatus } from './command-results.js'
import { parseCommand } from './commands.js'
import type { OperatorCommand } from './commands.js'
import type { ControlCommand, ControlResponse, Lease } from './control.js'
import { KILL_SWITCH_HISTORY_KEY, KILL_SWITCH_KEY, POSITION_OVERRIDE_KEY, TRADING_STATES_KEY, storedOr } from './safety.js'
import { storedSimulatedOrders } from './account-periods.js'

/** The answer to command `C`, and who carried it out: the running session (control channel), its HTTP API, or the store directly. */
export type OperatorResult<C extends ControlCommand = ControlCommand> = CommandOutcome<C> & { readonly via: 'session' | 'api' | 'store' }

/** Another way to reach a live session (the HTTP API); undefined when it cannot take this command. */
export type RemoteExecutor = (command: ControlCommand, args: Record<string, unknown>, actor: string) => Promise<WireResult | undefined>

/** An answer as read from JSON, before it is typed (`fromWire`). */
export interface WireResult {
  readonly ok: boolean
  readonly result?: unknown
  readonly error?: string | undefined
  readonly via: 'session' | 'api' | 'store'
}

export class OperatorConsole {
  constructor(
    private readonly store: Store,
    private readonly killSwitchMode: KillSwitchMode,
    private readonly now: () => number = Date.now,
    private readonly remote?: RemoteExecutor,
    /** The KILL_SWITCH file: while it exists, deactivation is refused. */
    private readonly killFile?: string,
  ) {}

  session(): Promise<Lease | undefined> {
    return liveSession(this.store, this.now())
  }

  /** `timeoutMs`: how long to wait for a running session's answer (default 10 s). */
  async execute<C extends ControlCommand>(command: C, args: Record<string, unknown>, actor: string, timeoutMs?: number): Promise<OperatorResult<C>> {
    if ((await this.session()) !== undefined) {
      const viaApi = this.remote === undefined ? undefined : await this.remote(command, args, actor)
      if (viaApi !== undefined) return carried(fromWire<C>(viaApi), viaApi.via)
      const r: ControlResponse = await sendRequest(this.store, command, args, actor, timeoutMs)
      return carried(fromWire<C>(r), 'session')
    }
    // The store's dispatcher answers the command it was given.
    return carried((await this.offline(command, args, actor)) as CommandOutcome<C>, 'store')
  }

  /** Everything the store says, without a session. */
  async status(): Promise<OfflineStatus> {
    const state = await this.store.loadState()
    const ks = this.killSwitch(state)
    const positions = await this.positions()
    return {
      session: (await this.session()) ?? null,
      killSwitch: { ...ks.state(), mode: this.killSwitchMode },
      tradingStates: new TradingStates(storedOr<TradingStatesSnapshot | undefined>(state.get(TRADING_STATES_KEY), undefined, TRADING_STATES_KEY)).snapshot(),
      openOrders: await this.store.loadOrders({ openOnly: true }),
      emulatedOrders: storedOr<EmulatedOrder[]>(state.get(EMULATED_STATE_KEY), [], EMULATED_STATE_KEY),
      positions,
    }
  }

  async history(): Promise<readonly KillSwitchEvent[]> {
    return this.killSwitch(await this.store.loadState()).history()
  }

  private killSwitch(state: ReadonlyMap<string, unknown>): KillSwitch {
    return new KillSwitch(
      this.killSwitchMode,
      storedOr<KillSwitchState>(state.get(KILL_SWITCH_KEY), INACTIVE, KILL_SWITCH_KEY),
      storedOr<KillSwitchEvent[]>(state.get(KILL_SWITCH_HISTORY_KEY), [], KILL_SWITCH_HISTORY_KEY),
    )
  }

  /**
   * Each venue's positions, as the ledger books the stored fills (exact). Of an instrument the ledger reads only
   * the symbol, base and quote, which the symbol gives; the store's key already refuses a fill recorded twice.
   */
  private async positions(): Promise<{ venue: string; symbol: string; amount: string }[]> {
    const ledger = new Ledger({ maxClosedTrades: 1, duplicateWindow: 16 })
    const instruments = new Map<string, Instrument>()
    // As the session's ledger: without the simulator's fills from before its account became the exchange's.
    const simulated = await storedSimulatedOrders(this.store)
    for await (const batch of this.store.iterateFills()) {
      for (const f of batch) {
        if (simulated.has(f.clientOrderId)) continue
        let instrument = instruments.get(f.symbol)
        if (instrument === undefined) instruments.set(f.symbol, (instrument = makeInstrument({ symbol: f.symbol, tickSize: '1e-8', stepSize: '1e-8' })))
        ledger.applyFill(fillTrade(f), instrument, f.strategyId)
      }
    }
    return ledger
      .positions()
      .filter((p) => !p.amount.isZero())
      .map((p) => ({ venue: p.venue, symbol: p.symbol, amount: p.amount.toString() }))
  }

  private async offline(command: ControlCommand, args: Record<string, unknown>, actor: string): Promise<CommandOutcome> {
    const parsed = parseCommand(command, args, actor)
    return parsed.ok ? this.onStore(parsed.value) : { ok: false, error: parsed.error }
  }

  /** Carries a command out on the store (no session running: the CLI is the only writer). */
  private async onStore(c: OperatorCommand): Promise<CommandOutcome> {
    const { actor } = c
    const state = await this.store.loadState()
    const now = this.now()
    const audit = new AuditLog(await this.store.auditHead(), this.store.anchor)
    const write = async (batch: Omit<WriteBatch, 'audit'>): Promise<void> => {
      audit.checkpoint()
      const records = audit.drain()
      await this.store.write({ ...batch, audit: records })
      audit.committed(records)
    }
    switch (c.command) {
      case 'kill_switch.activate':
      case 'shutdown':
      case 'reconciliation.failed': {
        const reason = c.args.reason
        if (reason.trim() === '') return { ok: false, error: 'a reason is required' }
        const ks = this.killSwitch(state)
        const event = ks.trip(c.command === 'reconciliation.failed' ? 'reconciliation' : 'manual', reason, actor, now, { session: null })
        if (event === undefined) return answer(c, { changed: false, state: ks.state() })
        audit.record('kill_switch.activated', actor, { ...event, via: 'store' }, now)
        await write({ state: [{ key: KILL_SWITCH_KEY, value: ks.state() }, { key: KILL_SWITCH_HISTORY_KEY, value: ks.history() }] })
        return answer(c, { changed: true, state: ks.state(), note: 'no running session: open orders are cancelled when a session starts' })
      }
      case 'kill_switch.deactivate': {
        const ks = this.killSwitch(state)
        // Monitors need a running session to measure; a breach that still stands trips it again on start.
        const r = ks.deactivate(c.args.reason, actor, now, [], {
          ...(this.killFile !== undefined && existsSync(this.killFile) ? { killFilePresent: this.killFile } : {}),
          clearsReconciliation: c.args.clearsReconciliation === true,
        })
        if (!r.ok) return { ok: false, error: r.blockers.join('; ') }
        if (r.event !== undefined) {
          audit.record('kill_switch.deactivated', actor, { ...r.event, via: 'store' }, now)
          await write({ state: [{ key: KILL_SWITCH_KEY, value: ks.state() }, { key: KILL_SWITCH_HISTORY_KEY, value: ks.history() }] })
        }
        return answer(c, { changed: r.event !== undefined, state: ks.state() })
      }
      case 'trading_state.set': {
        const states = new TradingStates(storedOr<TradingStatesSnapshot | undefined>(state.get(TRADING_STATES_KEY), undefined, TRADING_STATES_KEY))
        const changed = states.set(c.args.state, c.args.strategyId)
        if (changed) {
          audit.record('state.changed', actor, { key: TRADING_STATES_KEY, value: states.snapshot(), via: 'store' }, now)
          await write({ state: [{ key: TRADING_STATES_KEY, value: states.snapshot() }] })
        }
        return answer(c, { changed, tradingStates: states.snapshot() })
      }
      case 'orders.cancel_all': {
        // An order is settled only by the venue's word: with no session there is no venue to ask, so nothing is
        // marked cancelled here (the store would then say what the exchange may not).
        const open = (await this.store.loadOrders({ openOnly: true })).length
        return {
          ok: false,
          error: `cancel-all needs a running session to ask the venue; ${open} order(s) are open in the store, unchanged (sofia resync corrects them from the exchange now; a session does when it starts)`,
        }
      }
      case 'status':
        return answer(c, await this.status())
      case 'positions.flatten':
        return { ok: false, error: 'flatten needs a running session to send its orders (start one; it stays halted while the kill switch is active)' }
      case 'orders.cancel':
      case 'orders.place':
        return { ok: false, error: `${c.command} needs a running session to reach the venue` }
      case 'mode.set':
      case 'shadow.rollback':
      case 'resync':
        return { ok: false, error: `${c.command} needs a running session on an exchange (start one with sofia run --mode …)` }
      case 'rollback':
        return { ok: false, error: 'rollback with no session running is carried out by the CLI itself (executeRollback with storeSafety)' }
      case 'audit.append': {
        const payload = c.args.payload
        // The payload is the requester's, as it came over the control channel: recorded as is, its shape unchecked.
        audit.append(c.args.type, actor, { ...(typeof payload === 'object' && payload !== null ? payload : {}), via: 'store' }, now)
        await write({})
        return answer(c, { recorded: c.args.type })
      }
      case 'position_override.set': {
        const override = new PositionOverride()
        const stored = storedOr<{ account?: string; strategies?: Record<string, string> }>(state.get(POSITION_OVERRIDE_KEY), {}, POSITION_OVERRIDE_KEY)
        if (stored.account !== undefined) override.set('account', stored.account)
        for (const [strategyId, m] of Object.entries(stored.strategies ?? {})) override.set({ strategyId }, m)
        override.set(c.args.strategyId === undefined ? 'account' : { strategyId: c.args.strategyId }, c.args.multiplier)
        audit.record('state.changed', actor, { key: POSITION_OVERRIDE_KEY, value: override.snapshot(), via: 'store' }, now)
        await write({ state: [{ key: POSITION_OVERRIDE_KEY, value: override.snapshot() }] })
        return answer(c, override.snapshot())
      }
    }
  }
}

function carried<C extends ControlCommand>(outcome: CommandOutcome<C>, via: OperatorResult['via']): OperatorResult<C> {
  return { ...outcome, via } as OperatorResult<C>
}
