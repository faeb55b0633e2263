// Strategies: each strategy of the session with what it runs (version, parameters), its trading state and size,
// positions and realized P&L, last signal; and (operator) pause, resume, flatten and size, each with a reason.
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api, useResource } from '../api'
import { pushToast, reportError } from '../toasts'
import type { StrategiesView, StrategyView } from '../types'
import { Badge, Loaded, Num, Panel, Table, Time, brief, levelOf, onSubmitDo } from '../ui'

type Action = 'pause' | 'resume' | 'flatten' | 'size'

const ACTION_LABEL: Record<Action, string> = { pause: 'Pause', resume: 'Resume', flatten: 'Flatten', size: 'Set size' }

/** What each action asks the server for. */
function request(action: Action, id: string, reason: string, multiplier: string): { path: string; body: Record<string, unknown> } {
  switch (action) {
    case 'pause':
      return { path: '/trading-state', body: { state: 'HALTED', strategyId: id, reason } }
    case 'resume':
      return { path: '/trading-state', body: { state: 'ACTIVE', strategyId: id, reason } }
    case 'flatten':
      return { path: '/positions/flatten', body: { strategy: id, reason } }
    case 'size':
      return { path: '/position-override', body: { multiplier, strategyId: id, reason } }
  }
}

/** The reason form of one action on one strategy: nothing is sent until it is confirmed. */
function ActionForm({ strategy, action, done }: { strategy: StrategyView; action: Action; done: (changed: boolean) => void }): JSX.Element {
  const [reason, setReason] = useState('')
  const [multiplier, setMultiplier] = useState(strategy.multiplier)
  const [busy, setBusy] = useState(false)
  const submit = async (): Promise<void> => {
    setBusy(true)
    try {
      const r = request(action, strategy.id, reason.trim(), multiplier.trim())
      await api(r.path, { method: 'POST', body: r.body })
      pushToast('info', `${ACTION_LABEL[action]}: ${strategy.id}`, reason.trim())
      done(true)
    } catch (error) {
      reportError(error)
      setBusy(false)
    }
  }
  return (
    <form
      class="action-form"
      data-testid="strategy-action-form"
      onSubmit={onSubmitDo(submit)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') done(false)
      }}
    >
      <strong>
        {ACTION_LABEL[action]} {strategy.id}
      </strong>
      {action === 'size' ? (
        <label>
          Size multiplier (0–1){' '}
          <input name="multiplier" value={multiplier} inputMode="decimal" required pattern="[0-9]*[.]?[0-9]+" onInput={(e) => setMultiplier(e.currentTarget.value)} />
        </label>
      ) : null}
      <label>
        Reason{' '}
        <input name="reason" value={reason} required autoFocus maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="submit" class={`btn ${action === 'flatten' ? 'danger' : 'primary'}`} disabled={busy || reason.trim() === ''}>
        {busy ? 'Sending…' : `Confirm ${ACTION_LABEL[action].toLowerCase()}`}
      </button>
      <button type="button" class="btn ghost" onClick={() => done(false)}>
        Cancel
      </button>
    </form>
  )
}

export function Strategies({ canOperate }: { canOperate: boolean }): JSX.Element {
  const res = useResource<StrategiesView>('/strategies', 3_000)
  const [open, setOpen] = useState<{ id: string; action: Action } | undefined>(undefined)
  const actions = (s: StrategyView): JSX.Element => (
    <span class="row-actions">
      {(s.state === 'HALTED' ? ['resume', 'flatten', 'size'] : ['pause', 'flatten', 'size']).map((a) => (
        <button key={a} type="button" class="btn small" data-testid={`strategy-${a}`} onClick={() => setOpen({ id: s.id, action: a as Action })}>
          {ACTION_LABEL[a as Action]}
        </button>
      ))}
    </span>
  )
  return (
    <div class="page">
      <h1>Strategies</h1>
      <Panel title="Strategies of this session">
        <Loaded res={res}>
          {(v) => (
            <>
              <p class="small">
                Account trading state <Badge level={levelOf(v.account.state)}>{v.account.state}</Badge> · size multiplier <Num value={v.account.multiplier} />. A strategy
                trades only while both it and the account are ACTIVE; its size is its multiplier times the account's.
              </p>
              {open !== undefined && v.strategies.some((s) => s.id === open.id) ? (
                <ActionForm
                  key={`${open.id}-${open.action}`}
                  strategy={v.strategies.find((s) => s.id === open.id)!}
                  action={open.action}
                  done={(changed) => {
                    setOpen(undefined)
                    if (changed) res.reload()
                  }}
                />
              ) : null}
              <Table
                rows={v.strategies}
                rowKey={(s) => s.id}
                empty="This session runs no strategy."
                caption="Strategies with their state, size, positions and last signal"
                columns={[
                  {
                    key: 'id',
                    label: 'Strategy',
                    wrap: true,
                    render: (s) => (
                      <span data-testid="strategy-row" data-id={s.id}>
                        <strong>{s.id}</strong>
                        <div class="small muted">
                          {s.name} {s.version !== null ? `version ${s.version}` : '(session parameters)'}
                        </div>
                      </span>
                    ),
                  },
                  { key: 'state', label: 'State', render: (s) => <Badge level={levelOf(s.state)}>{s.state}</Badge> },
                  { key: 'size', label: 'Size ×', num: true, render: (s) => <Num value={s.multiplier} /> },
                  { key: 'orders', label: 'Open orders', num: true, render: (s) => <Num value={s.openOrders} /> },
                  {
                    key: 'positions',
                    label: 'Position',
                    render: (s) =>
                      s.positions.length === 0 ? (
                        <span class="muted">flat</span>
                      ) : (
                        s.positions.map((p) => (
                          <div key={`${p.venue}:${p.symbol}`} class="small">
                            {p.symbol} <Num value={p.amount} signed />
                          </div>
                        ))
                      ),
                  },
                  {
                    key: 'pnl',
                    label: 'Realized P&L after fees',
                    num: true,
                    render: (s) => (s.positions.length === 0 ? <Num value={null} /> : s.positions.map((p) => <div key={`${p.venue}:${p.symbol}`}><Num value={p.netRealized} signed places={2} /></div>)),
                  },
                  {
                    key: 'signal',
                    label: 'Last signal',
                    wrap: true,
                    render: (s) =>
                      s.lastSignal === null ? (
                        <span class="muted">none</span>
                      ) : (
                        <span class="small">
                          {s.lastSignal.name} <Time ms={s.lastSignal.at} />
                        </span>
                      ),
                  },
                  {
                    key: 'params',
                    label: 'Parameters',
                    wrap: true,
                    render: (s) => (
                      <span class="small params">
                        {Object.entries(s.params).map(([k, v]) => (
                          <code key={k}>
                            {k}={brief(v, 40)}
                          </code>
                        ))}
                      </span>
                    ),
                  },
                  ...(canOperate ? [{ key: 'actions', label: 'Actions', render: actions }] : []),
                ]}
              />
            </>
          )}
        </Loaded>
      </Panel>
    </div>
  )
}
