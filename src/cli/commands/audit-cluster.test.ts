import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats } from '../../../test/nats.js'
import type { OwnNats } from '../../../test/nats.js'
import { AuditLog } from '../../audit/index.js'
import { clusterBuckets, connectCluster, storeKey } from '../../cluster/node.js'
import type { NodeStoreRecord } from '../../cluster/node.js'
import { openStore } from '../../store/index.js'
import { verifyStore } from '../../audit/index.js'
import { describeClusterChains, verifyClusterChains } from './audit-cluster.js'

let nats: OwnNats
let nc: NatsConnection
let dir = ''

beforeAll(async () => {
  nats = await startNats()
  nc = await connectCluster(nats.url, 'test')
  dir = mkdtempSync(join(tmpdir(), 'sofia-audit-cluster-'))
}, 20_000)

afterAll(async () => {
  await nc?.close()
  await nats?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function chain(file: string, records: number): Promise<void> {
  const store = await openStore({ dataDir: dir, file })
  const log = new AuditLog()
  for (let i = 0; i < records; i++) log.append('test', 'system', { i }, 1_000 + i)
  await store.write({ audit: log.drain() })
  await store.close()
}

describe('sofia audit verify --cluster', () => {
  it("checks each chain the cluster knows of, and fails for a chain it cannot reach or that is gone, saying which", async () => {
    const { cluster } = await clusterBuckets(nc)
    const put = (r: NodeStoreRecord): Promise<number> => cluster.put(storeKey(r.node), JSON.stringify(r))
    await chain(join(dir, 'a.db'), 30)
    await put({ node: 'a', host: hostname(), kind: 'sqlite', location: join(dir, 'a.db'), at: 1 })
    const run = (): Promise<Awaited<ReturnType<typeof verifyClusterChains>>> =>
      verifyClusterChains(nats.url, { integrity: 'quick', extraHeads: [], keys: [], verify: verifyStore })

    const one = await run()
    expect(one.map((r) => [r.node, r.checked, r.ok, r.count])).toEqual([['a', true, true, 30]])
    expect(describeClusterChains(one)).toMatch(/^cluster audit: 1 node, 1 chain intact$/m)

    await put({ node: 'b', host: 'another-host', kind: 'sqlite', location: '/var/sofia/sofia.db', at: 2 })
    await put({ node: 'c', host: hostname(), kind: 'sqlite', location: join(dir, 'deleted.db'), at: 3 })
    const three = await run()
    expect(three.map((r) => [r.node, r.checked, r.ok])).toEqual([
      ['a', true, true],
      ['b', false, false],
      ['c', true, false],
    ])
    const text = describeClusterChains(three)
    expect(text).toContain('b  sqlite /var/sofia/sofia.db: NOT CHECKED: a SQLite store on host another-host: verify it there (sofia audit verify --db /var/sofia/sofia.db)')
    expect(text).toContain(`c  sqlite ${join(dir, 'deleted.db')}: REFUSED: its store ${join(dir, 'deleted.db')} is gone`)
    expect(text).toMatch(/^cluster audit: 3 nodes, 1 chain intact, 1 not checked from here$/m)
  }, 20_000)
})
