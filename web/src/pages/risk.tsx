// Risk: every limit with its current use, recent rejections with reasons, the kill switch history.
import type { JSX } from 'preact'
import { useEffect } from 'preact/hooks'
import { useResource } from '../api'
import { useLive } from '../live'
import type { AuditPage, KillSwitchStatus, RiskStatus } from '../types'
import { Badge, Bar, Loaded, Num, Panel, Table, Time, brief, levelOf } from '../ui'

function reasonOf(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null) return brief(payload)
  const p = payload as Record<string, unknown>
  const code = typeof p['code'] === 'string' ? p['code'] : typeof p['reason'] === 'string' ? p['reason'] : undefined
  const message = typeof p['message'] === 'string' ? p['message'] : typeof p['detail'] === 'string' ? p['detail'] : undefined
  return [code, message].filter((x) => x !== undefined).join(': ') || brief(payload)
}

export function Risk(): JSX.Element {
  const live = useLive()
  const risk = useResource<RiskStatus>('/risk/status', 3_000)
  const denied = useResource<AuditPage>('/risk/audit?type=risk.denied&limit=50', 10_000)
  const ks = useResource<KillSwitchStatus>('/kill-switch', 10_000)
  const { reload } = ks
  useEffect(() => reload(), [live.killSwitch, reload])

  return (
    <div class="page">
      <h1>Risk</h1>
      <Panel title="Limits">
        <Loaded res={risk}>
          {(r) => (
            <>
              <p class="small">
                Account trading state <Badge level={levelOf(r.tradingStates.account)}>{r.tradingStates.account}</Badge> · position multiplier{' '}
                <Num value={r.positionOverride.account} /> · today's P&L <Num value={r.dailyPnl.pnl} signed />
              </p>
              <Table
                rows={r.usage ?? []}
                rowKey={(u) => u.limit}
                empty="No pre-trade limits are configured (risk.* in sofia.yaml): every limit is unset."
                caption="Risk limits and their use"
                columns={[
                  { key: 'limit', label: 'Limit', render: (u) => <code>{u.limit}</code> },
                  { key: 'value', label: 'Value', num: true, render: (u) => <Num value={u.value} /> },
                  { key: 'current', label: 'Current', num: true, render: (u) => <Num value={u.current} /> },
                  { key: 'use', label: 'Use', render: (u) => <Bar pct={u.usedPct} label={`${u.limit} used`} /> },
                  { key: 'detail', wrap: true, label: 'Detail', render: (u) => <span class="small muted">{u.detail}</span> },
                ]}
              />
            </>
          )}
        </Loaded>
      </Panel>

      <Panel title="Monitors">
        <Table
          rows={risk.data?.monitors.filter((m) => m.name !== 'data_staleness') ?? []}
          rowKey={(m) => m.name}
          empty={risk.data === undefined ? 'loading…' : 'No monitors.'}
          caption="Runtime monitors"
          columns={[
            { key: 'name', label: 'Monitor', render: (m) => m.name },
            { key: 'level', label: 'Level', render: (m) => <Badge level={levelOf(m.level)}>{m.level}</Badge> },
            { key: 'use', label: 'Value vs critical', render: (m) => <Bar pct={m.critical === undefined || m.critical === 0 ? null : (m.value / m.critical) * 100} label={`${m.name} against its critical level`} /> },
            { key: 'detail', wrap: true, label: 'Detail', render: (m) => <span class="small muted">{m.detail}</span> },
          ]}
        />
      </Panel>

      <Panel title="Recent rejections">
        <Loaded res={denied}>
          {(d) => (
            <Table
              rows={[...d.records].reverse()}
              rowKey={(r) => String(r.seq)}
              empty="No orders denied by risk checks."
              caption="Orders denied by risk checks"
              columns={[
                { key: 'time', label: 'Time', render: (r) => <Time ms={r.ts} /> },
                { key: 'actor', label: 'Actor', render: (r) => r.actor },
                { key: 'reason', wrap: true, label: 'Reason', render: (r) => reasonOf(r.payload) },
              ]}
            />
          )}
        </Loaded>
      </Panel>

      <Panel title="Kill switch history" id="kill-switch-history">
        <Loaded res={ks}>
          {(k) => (
            <>
              <p class="small">
                Now: <Badge level={k.state.active ? 'crit' : 'ok'}>{k.state.active ? 'ACTIVE' : 'inactive'}</Badge> · configured mode {k.state.mode ?? '?'}
              </p>
              <Table
                rows={[...k.history].reverse()}
                rowKey={(h, i) => `${h.at}-${i}`}
                empty="The kill switch has not changed in this session."
                caption="Kill switch history, newest first"
                columns={[
                  { key: 'time', label: 'Time', render: (h) => <Time ms={h.at} /> },
                  { key: 'action', label: 'Action', render: (h) => <Badge level={h.action === 'activated' ? 'crit' : 'ok'}>{h.action}</Badge> },
                  { key: 'trigger', label: 'Trigger', render: (h) => h.trigger ?? '—' },
                  { key: 'actor', label: 'Actor', render: (h) => <span data-testid="ks-history-actor">{h.actor ?? '—'}</span> },
                  { key: 'reason', wrap: true, label: 'Reason', render: (h) => h.reason ?? '' },
                ]}
              />
            </>
          )}
        </Loaded>
      </Panel>
    </div>
  )
}
