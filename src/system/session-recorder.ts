/**
 * @module system/session-recorder
 * The session's own records: `session.started` (mode, epoch, strategies with their parameters, instruments:
 * what `sofia replay` needs to rebuild it) and `session.stopped`, and the equity curve sampled on a timer.
 */
import type { Clock, Component } from '../engine/index.js'
import type { OrderManager } from '../execution/index.js'
import { dec } from '../model/index.js'
import type { Persistence } from './persistence.js'
import { ACCOUNT_KEY } from './account-periods.js'
import { EPOCH_KEY } from './recovery.js'
import type { Prepared } from './recovery.js'
import { instrumentRecord } from './session-config.js'
import type { TraderOptions } from './session-config.js'

/** Records the session's start (initial deposits when fresh, epoch, `session.started` with what replay needs) and stop. */
export function sessionRecorder(persistence: Persistence, prepared: Pick<Prepared, 'fresh' | 'summary' | 'account'>, options: TraderOptions, orders: Pick<OrderManager, 'counters'>): Component {
  return {
    name: 'session',
    start: () => {
      if (prepared.fresh) {
        for (const setup of options.venues) {
          for (const [asset, amount] of Object.entries(setup.balances)) {
            persistence.recordDeposit(setup.id, asset, dec(amount).toString(), 'initial balance')
          }
        }
      }
      persistence.setState(EPOCH_KEY, prepared.summary.epoch, 'system')
      if (prepared.account !== undefined) persistence.setStateQuiet(ACCOUNT_KEY, prepared.account.periods)
      persistence.audit('session.started', 'system', {
        mode: options.mode ?? 'paper',
        epoch: prepared.summary.epoch,
        strategies: options.strategies.map((s) => s.id),
        venues: options.venues.map((v) => v.id),
        recovered: prepared.summary,
        ...(options.strategyParams !== undefined ? { params: options.strategyParams } : {}),
        instruments: Object.fromEntries(options.venues.map((v) => [v.id, v.instruments.map(instrumentRecord)])),
        ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
        ...(options.slippageBps !== undefined ? { slippageBps: options.slippageBps } : {}),
      })
      const r = persistence.barrier()
      if (r !== undefined) return r
    },
    stop: () => {
      persistence.audit('session.stopped', 'system', { fills: orders.counters.fills, orders: orders.counters.submitted })
    },
  }
}

/** Samples equity every `every` ms of engine time, and once more at stop. */
export function equitySampler(clock: Clock, every: number, sample: () => void): Component {
  let cancel: (() => void) | undefined
  return {
    name: 'equity-sampler',
    start: () => {
      cancel = clock.setRepeatingTimer(clock.now() + every, every, () => sample())
    },
    stop: () => {
      cancel?.()
      sample()
    },
  }
}
