/**
 * @module desk/operations
 * What surrounds a trading session on an operator's desk, the same for `sofia run` and `sofia serve`: an
 * incident record for every trip (and a notification of trips and pilot-off), the position override file
 * watched, the rollback procedure (armed to run on its own when a deployment is under the registry) and a
 * running roll-out of one of the session's strategies taken over.
 */
import { resolve } from 'node:path'
import { WallClock } from '../engine/index.js'
import type { Alert } from '../observability/index.js'
import { FREEZE_FILE, attachLiveCanary, attachSafetyRecords, attachSessionRollback } from '../ops/canary/index.js'
import type { CanaryConfig, LiveCanary, RollbackHooks, SessionRollback } from '../ops/canary/index.js'
import type { Store } from '../store/index.js'
import type { ExchangeSession, StrategySpec, Trader } from '../system/index.js'
import { watchSessionPositionOverride } from './position-override.js'

export interface OperationsOptions {
  readonly trader: Trader
  /** The session on an exchange, whose running roll-out is taken over (with `canary`). */
  readonly exchange?: ExchangeSession
  readonly store: Store
  readonly dataDir: string
  /** The strategies as the operator named them, with their parameters. */
  readonly specs: readonly StrategySpec[]
  readonly canary?: CanaryConfig
  /** Where trips, pilot-off and rollbacks are notified (config/alerts.yaml's notifiers); resolves once delivered or given up. */
  readonly notify?: (alert: Alert) => Promise<void>
  readonly log: (line: string) => void
  /** Default: config/position_override.json in the working directory. */
  readonly positionOverrideFile?: string
}

export interface Operations {
  readonly rollback: SessionRollback
  /** The rollback's automatic triggers, armed when a deployment is under the registry (a last_good version). */
  readonly hooks: RollbackHooks | undefined
  readonly canary: LiveCanary | undefined
  /** Detaches everything (once the session has stopped). */
  stop(): void
}

export async function attachOperations(o: OperationsOptions): Promise<Operations> {
  const { trader, store, dataDir, log } = o
  const stops: (() => void)[] = []
  const stop = (): void => {
    for (const s of stops.splice(0).reverse()) s()
  }
  try {
    stops.push(
      attachSafetyRecords(trader.safety, {
        store,
        dataDir,
        flush: async () => void (await trader.persistence?.flush()),
        ...(o.notify !== undefined ? { notifier: o.notify } : {}),
        log,
      }),
    )
    const watch = watchSessionPositionOverride(trader, trader.runners.map((r) => r.strategy.id), log, o.positionOverrideFile)
    stops.push(() => watch.stop())
    const rollback = attachSessionRollback(trader, { store, dataDir, freezeFile: resolve(FREEZE_FILE), ...(o.notify !== undefined ? { notifier: o.notify } : {}) })
    const deployed = (await store.loadStrategyVersions()).some((v) => v.status === 'last_good')
    const hooks = deployed ? rollback.hooks : undefined
    if (hooks !== undefined) stops.push(hooks.watchKillSwitch(trader.safety.killSwitch, new WallClock()))
    let canary: LiveCanary | undefined
    if (o.exchange !== undefined && o.canary !== undefined) {
      canary = await attachLiveCanary({ session: o.exchange, store, config: o.canary, rollback, strategies: o.specs.map((x) => x.name), specs: o.specs, log })
      const started = canary
      if (started !== undefined) stops.push(() => started.stop())
    }
    return { rollback, hooks, canary, stop }
  } catch (error) {
    stop()
    throw error
  }
}
