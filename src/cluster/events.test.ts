import type { NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNats } from '../../test/nats.js'
import type { OwnNats } from '../../test/nats.js'
import { EventBus } from '../engine/bus.js'
import type { EngineEvents } from '../engine/index.js'
import { Order, dec } from '../model/index.js'
import { connectCluster } from './node.js'
import { ensureEventsStream, publishNodeEvents, readClusterEvents } from './events.js'
import type { ClusterEvent } from './events.js'

let nats: OwnNats
let nc: NatsConnection

beforeAll(async () => {
  nats = await startNats()
  nc = await connectCluster(nats.url, 'test')
  await ensureEventsStream(nc)
}, 20_000)

afterAll(async () => {
  await nc?.close()
  await nats?.stop()
})

const read = async (o: Parameters<typeof readClusterEvents>[1]): Promise<ClusterEvent[]> => {
  const out: ClusterEvent[] = []
  await readClusterEvents(nc, o, (e) => out.push(e))
  return out
}

describe("a node's order events, fills and component changes on the cluster's stream", () => {
  it('publishes them typed, decimals as strings, and reads them back by node, kind and time, in order', async () => {
    const buses = { n1: new EventBus<EngineEvents>(), n2: new EventBus<EngineEvents>() }
    const offs = Object.entries(buses).map(([node, bus]) => publishNodeEvents(nc, node, bus, () => 5))
    const order = new Order({ clientOrderId: 'mm-1', strategyId: 'mm', venue: 'xsim', symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: dec('0.10'), price: dec('100.5'), timestamp: 1 })
    buses.n1.publish('order', { order, event: { type: 'submitted', timestamp: 2 } })
    buses.n1.publish('component', { component: 'feed', state: 'degraded', reason: 'stale' })
    buses.n2.publish('order', { order, event: { type: 'rejected', timestamp: 3, reason: 'no funds' } })
    const trade = { id: 't1', order: 'v1', clientOrderId: 'mm-1', venue: 'xsim', symbol: 'BTC/USDT', timestamp: 4, side: 'buy' as const, price: dec('100.5'), amount: dec('0.10'), cost: dec('10.05'), fee: { cost: dec('0.01005'), currency: 'USDT' }, takerOrMaker: 'maker' as const }
    buses.n1.publish('fill', { order, trade })
    for (const off of offs) off()
    buses.n1.publish('order', { order, event: { type: 'canceled', timestamp: 9 } })
    await nc.flush()

    const all = await read({})
    expect(all.map((e) => [e.kind, e.message.node])).toEqual([
      ['order', 'n1'],
      ['state', 'n1'],
      ['order', 'n2'],
      ['fill', 'n1'],
    ])
    expect(all[0]!.message).toEqual({
      node: 'n1',
      event: 'submitted',
      at: 2,
      order: { clientOrderId: 'mm-1', strategyId: 'mm', venue: 'xsim', symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.1', price: '100.5', decisionPrice: null, state: 'created', venueOrderId: null, filled: '0', cost: '0', reason: null, createdAt: 1, updatedAt: 1, options: null },
    })
    expect(all[1]!.message).toEqual({ node: 'n1', what: 'component', subject: 'feed', state: 'degraded', reason: 'stale', actor: 'system', at: 5 })
    expect(all[2]!.message).toMatchObject({ node: 'n2', event: 'rejected', reason: 'no funds' })
    expect(all[3]!.message).toEqual({
      node: 'n1',
      at: 4,
      fill: { venue: 'xsim', tradeId: 't1', clientOrderId: 'mm-1', venueOrderId: 'v1', strategyId: 'mm', symbol: 'BTC/USDT', side: 'buy', price: '100.5', amount: '0.1', cost: '10.05', feeCost: '0.01005', feeCurrency: 'USDT', takerOrMaker: 'maker', timestamp: 4 },
    })
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b))

    expect((await read({ node: 'n1', kinds: ['order', 'fill'] })).map((e) => e.kind)).toEqual(['order', 'fill'])
    expect((await read({ kinds: ['fill'] })).map((e) => e.message.node)).toEqual(['n1'])
    expect(await read({ node: 'n3' })).toEqual([])
    expect(await read({ since: Date.now() + 60_000 })).toEqual([])
  })

  it('follows new messages until aborted', async () => {
    const abort = new AbortController()
    const got: ClusterEvent[] = []
    const reading = readClusterEvents(nc, { node: 'n4', follow: true, signal: abort.signal }, (e) => {
      got.push(e)
      if (got.length === 2) abort.abort()
    })
    const bus = new EventBus<EngineEvents>()
    const off = publishNodeEvents(nc, 'n4', bus)
    await new Promise((r) => setTimeout(r, 200))
    bus.publish('component', { component: 'a', state: 'running' })
    bus.publish('component', { component: 'b', state: 'stopped' })
    off()
    await expect(reading).resolves.toBe(2)
    expect(got.map((e) => (e.kind === 'state' ? e.message.subject : ''))).toEqual(['a', 'b'])
  }, 10_000)
})
