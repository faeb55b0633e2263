import { randomUUID } from 'node:crypto'
import type { NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats, startProxy } from '../../test/nats.js'
import type { CutProxy, OwnNats } from '../../test/nats.js'
import { waitFor } from '../../test/sim.js'
import { buildSession } from '../system/index.js'
import { MemoryStore } from '../store/index.js'
import { ClusterNode, clusterBuckets, clusterStatus, connectCluster, putHalt } from './node.js'
import type { ClusterHalt } from './node.js'

let nats: OwnNats
let proxy: CutProxy
let nc: NatsConnection

beforeAll(async () => {
  nats = await startNats()
  proxy = await startProxy(nats.port)
  nc = await connectCluster(nats.url, 'test')
}, 20_000)

afterAll(async () => {
  await nc?.close()
  await proxy?.close()
  await nats?.stop()
})

const change = (active: boolean, reason: string, at = Date.now()): ClusterHalt => ({ active, trigger: active ? 'manual' : null, reason, actor: 'operator:test', node: 'cli', instance: randomUUID(), at })

describe("a node's own fail-closed halt and the cluster's kill switch", () => {
  it('stays halted after NATS comes back (an older resume does not lift it), until a resume made after the halt', async () => {
    const { cluster } = await clusterBuckets(nc)
    // A resume from long ago is the cluster's last change.
    await putHalt(cluster, change(false, 'resumed an hour ago', Date.now() - 3_600_000))
    const paper = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 20 })
    const lines: string[] = []
    const lineTimes: number[] = []
    const log = (l: string): void => {
      lines.push(l)
      lineTimes.push(Date.now())
    }
    const node = await ClusterNode.join({ servers: proxy.url, nodeId: 'n1', safety: paper.trader.safety, mode: () => 'paper', strategies: [], failClosedMs: 500, log })
    const ks = (): ReturnType<typeof paper.trader.safety.killSwitch.state> => paper.trader.safety.killSwitch.state()
    try {
      expect(ks().active).toBe(false)
      const lost = lines.length
      await proxy.cut()
      expect(await waitFor(() => ks().active, 10_000, 20), 'halted itself').toBe(true)
      expect(ks().reason).toMatch(/fail closed/)
      // Not at once: the bound (500 ms here) from the moment the node saw the link go. Node's timers count from the
      // event loop's cached clock, which lags Date.now() at the log line by however long that turn of the loop has
      // run, so on a busy machine the halt lands a little short of 500 on the wall clock (CI saw 499). A halt at once
      // would be ~0; 450 leaves the loop 50 ms.
      const lostAt = lineTimes[lines.findIndex((l, i) => i >= lost && l.startsWith('cluster: lost NATS'))]!
      expect(ks().since! - lostAt).toBeGreaterThanOrEqual(450)
      await proxy.reopen()
      expect(await waitFor(() => lines.includes('cluster: NATS is back'), 15_000, 50), 'reconnected').toBe(true)
      // Two beats later, the old resume has not lifted the node's own halt.
      await new Promise((r) => setTimeout(r, 2_500))
      expect([ks().active, ks().trigger]).toEqual([true, 'cluster'])
      // A resume made now lifts it.
      await putHalt(cluster, change(false, 'back, checked'))
      expect(await waitFor(() => !ks().active, 5_000, 50), 'lifted by a new resume').toBe(true)
    } finally {
      await node.leave()
      await paper.close()
      await proxy.reopen() // a failure above must not leave the next test cut off
    }
  }, 60_000)

  it('a node without fail-closed applies, on its return, a halt made while it was cut off', async () => {
    const { cluster } = await clusterBuckets(nc)
    await putHalt(cluster, change(false, 'all clear'))
    const paper = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 20 })
    const lines: string[] = []
    const node = await ClusterNode.join({ servers: proxy.url, nodeId: 'n2', safety: paper.trader.safety, mode: () => 'paper', strategies: [], failClosedMs: 0, log: (l) => lines.push(l) })
    try {
      await proxy.cut()
      expect(await waitFor(() => lines.some((l) => l.startsWith('cluster: lost NATS')), 10_000, 50)).toBe(true)
      await putHalt(cluster, change(true, 'halted while n2 was away'))
      await new Promise((r) => setTimeout(r, 1_000))
      expect(paper.trader.safety.killSwitch.state().active).toBe(false)
      await proxy.reopen()
      expect(await waitFor(() => paper.trader.safety.killSwitch.state().active, 15_000, 50), 'halted on its return').toBe(true)
      expect(paper.trader.safety.killSwitch.state()).toMatchObject({ trigger: 'cluster', reason: 'cluster halt from node cli: halted while n2 was away' })
    } finally {
      await node.leave()
      await paper.close()
      await proxy.reopen() // a failure above must not leave the next test cut off
    }
  }, 60_000)
})

describe('sofia cluster status', () => {
  it('lists each node once while the nodes keep beating (a key put again during the listing comes once)', async () => {
    const { cluster, nodes } = await clusterBuckets(nc)
    const ids = ['s1', 's2', 's3', 's4']
    let beating = true
    const beats = (async () => {
      for (let i = 0; beating; i++) {
        const id = ids[i % ids.length]!
        await nodes.put(id, JSON.stringify({ id, instance: id, host: 'h', pid: 1, mode: 'paper', strategies: [], killSwitch: { active: false, trigger: null, reason: null }, startedAt: 0, at: Date.now(), haltsApplied: { count: 0, lastDelayMs: null } }))
      }
    })()
    try {
      for (let round = 0; round < 30; round++) {
        const listed = (await clusterStatus(cluster, nodes)).nodes.map((n) => n.id).filter((id) => id.startsWith('s'))
        expect(listed).toEqual([...new Set(listed)].sort())
      }
    } finally {
      beating = false
      await beats
    }
  }, 30_000)
})
