// Cluster: every node of the cluster this node belongs to (GET /cluster/status) — heartbeat age, mode, kill switch,
// strategies — and the global kill switch's last change; or a note that this node runs alone.
import type { JSX } from 'preact'
import type { ClusterStatus } from '../../../src/cluster/types'
import { useResource } from '../api'
import { Badge, Loaded, Panel, Table, Time } from '../ui'

export function Cluster(): JSX.Element {
  const res = useResource<ClusterStatus & { node: string | null; message?: string }>('/cluster/status', 2_000)
  if (res.data?.node === null) {
    return (
      <div class="page">
        <h1>Cluster</h1>
        <Panel title="Nodes">
          <p class="muted" data-testid="cluster-none">
            This node runs alone: {res.data.message}.
          </p>
        </Panel>
      </div>
    )
  }
  return (
    <div class="page">
      <h1>Cluster</h1>
      <Loaded res={res}>
        {(s) => (
          <>
            <Panel title="Global kill switch">
              {s.halt === null ? (
                <p class="muted">Never used in this cluster.</p>
              ) : (
                <p data-testid="cluster-halt">
                  <Badge level={s.halt.active ? 'crit' : 'ok'}>{s.halt.active ? 'HALTED' : 'ACTIVE'}</Badge> since <Time ms={s.halt.at} />, by {s.halt.actor} on node{' '}
                  {s.halt.node}: {s.halt.reason}
                </p>
              )}
            </Panel>
            <Panel title={`Nodes (this one: ${s.node})`}>
              <Table
                rows={s.nodes}
                rowKey={(n) => n.id}
                empty="No node has a heartbeat in the last minute."
                caption="Nodes of the cluster"
                columns={[
                  { key: 'id', label: 'Node', render: (n) => <span data-testid="cluster-node">{n.id}</span> },
                  {
                    key: 'age',
                    label: 'Heartbeat',
                    render: (n) => (n.stale ? <Badge level="warn">{`${(n.ageMs / 1000).toFixed(1)} s ago (stale)`}</Badge> : `${(n.ageMs / 1000).toFixed(1)} s ago`),
                  },
                  { key: 'mode', label: 'Mode', render: (n) => n.mode },
                  {
                    key: 'ks',
                    label: 'Kill switch',
                    render: (n) => <Badge level={n.killSwitch.active ? 'crit' : 'ok'}>{n.killSwitch.active ? `HALTED (${n.killSwitch.trigger ?? '?'})` : 'ACTIVE'}</Badge>,
                  },
                  { key: 'strategies', label: 'Strategies', wrap: true, render: (n) => n.strategies.join(', ') || '—' },
                  { key: 'host', label: 'Host / pid', render: (n) => `${n.host} / ${n.pid}` },
                ]}
              />
            </Panel>
          </>
        )}
      </Loaded>
    </div>
  )
}
