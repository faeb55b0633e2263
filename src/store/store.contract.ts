/**
 * @module store/store.contract
 * The one test suite every Store implementation passes (SQLite, PostgreSQL, memory): every method, batch
 * atomicity, audit continuity, exact decimals, and — where the store persists — close and reopen.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { GENESIS_HASH, chainHash, recordBody } from '../chain/record.js'
import type { AuditRecord } from '../chain/record.js'
import { DuplicateFill, InvariantViolation } from '../model/index.js'
import { latestVersion } from './migrations.js'
import type { Store, StoredAuditRecord, StoredFill, StoredOrder, WriteBatch } from './store.js'

export function makeOrder(id: string, over: Partial<StoredOrder> = {}): StoredOrder {
  return {
    clientOrderId: id,
    strategyId: 'grid',
    venue: 'binance',
    symbol: 'BTC/USDT',
    type: 'limit',
    side: 'buy',
    amount: '0.5',
    price: '30000.10',
    decisionPrice: '30000.00',
    state: 'open',
    venueOrderId: `v-${id}`,
    filled: '0',
    cost: '0',
    reason: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    options: null,
    ...over,
  }
}

export function makeFill(tradeId: string, over: Partial<StoredFill> = {}): StoredFill {
  return {
    venue: 'binance',
    tradeId,
    clientOrderId: 'o1',
    venueOrderId: 'v-o1',
    strategyId: 'grid',
    symbol: 'BTC/USDT',
    side: 'buy',
    price: '30000.10',
    amount: '0.1',
    cost: '3000.01',
    feeCost: '0.0001',
    feeCurrency: 'BTC',
    takerOrMaker: 'maker',
    timestamp: 1_700_000_000_000,
    ...over,
  }
}

/** `count` linked records continuing (seq, prevHash); ts = 1000 × seq. */
export function makeAudit(count: number, after: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): AuditRecord[] {
  const out: AuditRecord[] = []
  let prev = after.hash
  for (let i = 1; i <= count; i++) {
    const seq = after.seq + i
    const r = { seq, ts: seq * 1000, type: 'order.submitted', actor: 'strategy:grid', payload: { n: seq, price: '1.10' } }
    const hash = chainHash(prev, recordBody(r))
    out.push({ ...r, prevHash: prev, hash })
    prev = hash
  }
  return out
}

/** Records (seq, ts, type, actor, payload) linked from the genesis hash. */
function relink(records: readonly Pick<AuditRecord, 'seq' | 'ts' | 'type' | 'actor' | 'payload'>[]): AuditRecord[] {
  let prev = GENESIS_HASH
  return records.map((r) => {
    const hash = chainHash(prev, recordBody(r))
    const linked = { ...r, prevHash: prev, hash }
    prev = hash
    return linked
  })
}

export async function collect<T>(it: AsyncIterable<T[]>): Promise<{ items: T[]; batches: number }> {
  const items: T[] = []
  let batches = 0
  for await (const batch of it) {
    batches++
    items.push(...batch)
  }
  return { items, batches }
}

export interface StoreContractOptions {
  /** Opens the same storage as `store` (already closed) again: enables the persistence tests. */
  readonly reopen?: (store: Store) => Promise<Store>
}

/** Everything a store holds, read through each of its loads: what must survive a close and a reopen. */
async function contents(s: Store) {
  return {
    orders: await s.loadOrders(),
    fills: (await collect(s.iterateFills())).items,
    deposits: await s.loadDeposits(),
    state: await s.loadState(),
    sequences: await s.loadSequences(),
    audit: (await collect(s.iterateAudit())).items,
    versions: await s.loadStrategyVersions(),
    reports: await s.loadReports(),
  }
}

/**
 * Registers the suite. `open` returns a fresh, empty, migrated store each call; `cleanup` runs once after all
 * tests (drop schemas, remove directories).
 */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  cleanup?: () => Promise<void>,
  options: StoreContractOptions = {},
): void {
  describe(`${name} store (contract)`, () => {
    const opened: Store[] = []
    const fresh = async (): Promise<Store> => {
      const s = await open()
      opened.push(s)
      return s
    }
    afterAll(async () => {
      for (const s of opened) await s.close()
      await cleanup?.()
    })

    it('is at the latest schema version', async () => {
      const s = await fresh()
      expect(await s.schemaVersion()).toBe(latestVersion())
      expect(s.location).not.toMatch(/:[^@/]*@/)
    })

    it('accepts an empty batch', async () => {
      const s = await fresh()
      await s.write({})
      expect(await s.loadOrders()).toEqual([])
      expect(await s.auditHead()).toBeUndefined()
    })

    it('upserts orders and reloads them exactly', async () => {
      const s = await fresh()
      const a = makeOrder('a', { createdAt: 2, price: null, decisionPrice: null, venueOrderId: null })
      const b = makeOrder('b', {
        createdAt: 1,
        type: 'market',
        side: 'sell',
        options: '{"parentId":"a","reduceOnly":true,"tag":"stop-loss","triggerDirection":"below","triggerPrice":"29000.5"}',
      })
      await s.write({ orders: [a, b] })
      expect(await s.loadOrders()).toEqual([b, a])
      const a2 = { ...a, state: 'closed' as const, filled: '0.5', cost: '15000.05', updatedAt: 3, reason: 'filled' }
      await s.write({ orders: [a2] })
      expect(await s.loadOrders()).toEqual([b, a2])
    })

    it('keeps the last of several upserts of one order in a batch', async () => {
      const s = await fresh()
      const a = makeOrder('a', { state: 'submitted' })
      await s.write({ orders: [a, { ...a, state: 'open' }, { ...a, state: 'closed', filled: '0.5' }] })
      const [loaded] = await s.loadOrders()
      expect(loaded?.state).toBe('closed')
      expect(loaded?.filled).toBe('0.5')
    })

    it('filters open orders', async () => {
      const s = await fresh()
      const states = ['created', 'denied', 'submitted', 'open', 'pending_cancel', 'closed', 'canceled', 'expired', 'rejected'] as const
      await s.write({ orders: states.map((state, i) => makeOrder(`o${i}`, { state, createdAt: i })) })
      const open = await s.loadOrders({ openOnly: true })
      expect(open.map((o) => o.state)).toEqual(['created', 'submitted', 'open', 'pending_cancel'])
      expect(await s.loadOrders({ openOnly: false })).toHaveLength(states.length)
    })

    it('inserts fills and iterates them in (timestamp, insertion) order, in batches, with filters', async () => {
      const s = await fresh()
      const fills = [
        makeFill('t1', { timestamp: 300 }),
        makeFill('t2', { timestamp: 100, venue: 'kraken' }),
        makeFill('t3', { timestamp: 200, symbol: 'ETH/USDT', strategyId: 'mm' }),
        makeFill('t4', { timestamp: 100 }),
        makeFill('t5', { timestamp: 200 }),
      ]
      await s.write({ fills: fills.slice(0, 3) })
      await s.write({ fills: fills.slice(3) })
      const all = await collect(s.iterateFills(undefined, 2))
      expect(all.items.map((f) => f.tradeId)).toEqual(['t2', 't4', 't3', 't5', 't1'])
      expect(all.batches).toBe(3)
      expect(all.items[0]).toEqual(fills[1])
      const ids = async (f: Parameters<Store['iterateFills']>[0]): Promise<string[]> =>
        (await collect(s.iterateFills(f))).items.map((x) => x.tradeId)
      expect(await ids({ venue: 'kraken' })).toEqual(['t2'])
      expect(await ids({ strategyId: 'mm' })).toEqual(['t3'])
      expect(await ids({ symbol: 'BTC/USDT' })).toEqual(['t2', 't4', 't5', 't1'])
      expect(await ids({ since: 200 })).toEqual(['t3', 't5', 't1'])
      expect(await ids({ until: 200 })).toEqual(['t2', 't4'])
      expect(await ids({ since: 100, until: 300, venue: 'binance' })).toEqual(['t4', 't3', 't5'])
      expect(await s.countFills()).toBe(5)
      expect(await s.countFills({ venue: 'binance' })).toBe(4)
      expect(await s.countFills({ since: 200, until: 300 })).toBe(2)
      expect(await s.countFills({ symbol: 'XRP/USDT' })).toBe(0)
      expect((await collect(s.iterateFills({ symbol: 'XRP/USDT' }))).batches).toBe(0)
    })

    it('iterates fills exactly filling the last page', async () => {
      const s = await fresh()
      await s.write({ fills: [1, 2, 3, 4].map((i) => makeFill(`t${i}`, { timestamp: i })) })
      const r = await collect(s.iterateFills({}, 2))
      expect(r.items.map((f) => f.timestamp)).toEqual([1, 2, 3, 4])
      expect(r.batches).toBe(2)
    })

    it('refuses a duplicate fill and writes nothing of the batch', async () => {
      const s = await fresh()
      await s.write({ fills: [makeFill('t1')] })
      const audit = makeAudit(1)
      const batch: WriteBatch = {
        orders: [makeOrder('x')],
        fills: [makeFill('t2'), makeFill('t1')],
        deposits: [{ venue: 'binance', asset: 'USDT', amount: '1', ts: 1, reason: 'x' }],
        state: [{ key: 'k', value: 1 }],
        sequences: [{ strategyId: 'grid', next: 9 }],
        audit,
      }
      await expect(s.write(batch)).rejects.toBeInstanceOf(DuplicateFill)
      await expect(s.write(batch)).rejects.toThrow(/binance.*t1/)
      expect(await s.countFills()).toBe(1)
      expect(await s.loadOrders()).toEqual([])
      expect(await s.loadDeposits()).toEqual([])
      expect(await s.getState('k')).toBeUndefined()
      expect((await s.loadSequences()).size).toBe(0)
      expect(await s.auditHead()).toBeUndefined()
      // The same venue trade id on another venue is a different fill.
      await s.write({ fills: [makeFill('t1', { venue: 'kraken' })] })
      expect(await s.countFills()).toBe(2)
    })

    it('keeps both fills of a self-trade (one trade id, a buy and a sell) and refuses a repeated side', async () => {
      const s = await fresh()
      await s.write({ fills: [makeFill('t1')] })
      await s.write({ fills: [makeFill('t1', { side: 'sell', clientOrderId: 'o2', venueOrderId: 'v-o2' })] })
      const { items } = await collect(s.iterateFills())
      expect(items.map((f) => `${f.tradeId} ${f.side} ${f.clientOrderId}`)).toEqual(['t1 buy o1', 't1 sell o2'])
      await expect(s.write({ fills: [makeFill('t1', { side: 'sell', clientOrderId: 'o3' })] })).rejects.toThrow(/binance trade t1 sell is already stored/)
      expect(await s.countFills()).toBe(2)
    })

    it('refuses a fill repeated within one batch', async () => {
      const s = await fresh()
      await expect(s.write({ fills: [makeFill('t1'), makeFill('t1')] })).rejects.toBeInstanceOf(DuplicateFill)
      expect(await s.countFills()).toBe(0)
    })

    it('stores deposits with increasing ids', async () => {
      const s = await fresh()
      await s.write({ deposits: [{ venue: 'binance', asset: 'USDT', amount: '10000', ts: 1, reason: 'start' }] })
      await s.write({ deposits: [{ venue: 'binance', asset: 'USDT', amount: '-2500.5', ts: 2, reason: 'withdrawal' }] })
      const d = await s.loadDeposits()
      expect(d.map((x) => ({ ...x, id: undefined }))).toEqual([
        { id: undefined, venue: 'binance', asset: 'USDT', amount: '10000', ts: 1, reason: 'start' },
        { id: undefined, venue: 'binance', asset: 'USDT', amount: '-2500.5', ts: 2, reason: 'withdrawal' },
      ])
      expect(typeof d[0]?.id).toBe('number')
      expect(d[1]?.id).toBeGreaterThan(d[0]?.id ?? Infinity)
    })

    it('sets, overwrites and deletes state', async () => {
      const s = await fresh()
      const value = { mode: 'paper', nested: { list: [1, 'two', null], flag: true } }
      await s.write({ state: [{ key: 'mode', value }, { key: 'epoch', value: 3 }] })
      expect(await s.getState('mode')).toEqual(value)
      expect(await s.getState<number>('epoch')).toBe(3)
      expect(await s.getState('missing')).toBeUndefined()
      await s.write({ state: [{ key: 'epoch', value: 4 }, { key: 'mode', value: null }] })
      expect(await s.getState('mode')).toBeUndefined()
      expect([...(await s.loadState()).entries()]).toEqual([['epoch', 4]])
      // Within one batch the last write of a key wins, including a delete.
      await s.write({ state: [{ key: 'a', value: 1 }, { key: 'a', value: null }, { key: 'b', value: null }, { key: 'b', value: 'x' }] })
      expect(await s.getState('a')).toBeUndefined()
      expect(await s.getState('b')).toBe('x')
    })

    it('only ever raises sequences', async () => {
      const s = await fresh()
      await s.write({ sequences: [{ strategyId: 'grid', next: 5 }, { strategyId: 'mm', next: 2 }] })
      await s.write({ sequences: [{ strategyId: 'grid', next: 3 }, { strategyId: 'mm', next: 7 }] })
      await s.write({ sequences: [{ strategyId: 'grid', next: 9 }, { strategyId: 'grid', next: 6 }] })
      expect([...(await s.loadSequences()).entries()]).toEqual([
        ['grid', 9],
        ['mm', 7],
      ])
    })

    it('stores strategy versions and updates their status', async () => {
      const s = await fresh()
      const v1 = {
        strategy: 'grid',
        version: '1',
        status: 'candidate',
        params: { levels: 10, spacing: '0.005' },
        codeHash: 'abc',
        artifact: null,
        validation: { sharpe: '1.2' },
        createdAt: 1,
      }
      const v2 = { ...v1, version: '2', createdAt: 2 }
      const other = { ...v1, strategy: 'mm' }
      await s.write({ strategyVersions: [v2, v1, other] })
      expect(await s.loadStrategyVersions('grid')).toEqual([v1, v2])
      await s.write({ strategyVersions: [{ ...v1, status: 'live' }] })
      expect((await s.loadStrategyVersions('grid'))[0]?.status).toBe('live')
      expect(await s.loadStrategyVersions()).toHaveLength(3)
      expect(await s.loadStrategyVersions('none')).toEqual([])
    })

    it('indexes reports', async () => {
      const s = await fresh()
      const r1 = { kind: 'eod', date: '2024-01-02', path: 'reports/eod-2024-01-02.json', createdAt: 5, summary: { pnl: '12.5' } }
      const r2 = { ...r1, date: '2024-01-01', path: 'reports/eod-2024-01-01.json' }
      const r3 = { ...r1, kind: 'reconciliation' }
      await s.write({ reports: [r1, r2, r3] })
      expect(await s.loadReports('eod')).toEqual([r2, r1])
      await s.write({ reports: [{ ...r1, summary: { pnl: '13' } }] })
      expect((await s.loadReports('eod'))[1]?.summary).toEqual({ pnl: '13' })
      expect(await s.loadReports()).toHaveLength(3)
    })

    it('appends audit records that continue the chain', async () => {
      const s = await fresh()
      const first = makeAudit(3)
      await s.write({ audit: first })
      const last = first[2] as AuditRecord
      expect(await s.auditHead()).toEqual({ seq: 3, hash: last.hash })
      const next = makeAudit(2, last)
      await s.write({ audit: next })
      expect(await s.countAudit()).toBe(5)
      const { items } = await collect(s.iterateAudit())
      expect(items.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
      for (const [i, r] of items.entries()) {
        const given = [...first, ...next][i] as AuditRecord
        expect(r).toEqual({ ...given, body: recordBody(given) })
        expect(chainHash(r.prevHash, r.body)).toBe(r.hash)
      }
    })

    it('finds the signed heads and key records among the others (auditAnchors), in seq order', async () => {
      const s = await fresh()
      const records = makeAudit(9).map((r, i) => {
        const [type, actor, payload] = ((): [string, string, unknown] => {
          if (i === 5) return ['audit.key', 'operator:ann', { keyId: 'k2' }]
          if (i === 6) return ['audit.checkpoint', 'system', { seq: 6 }]
          if (i === 8) return ['audit.checkpoint', 'system', { seq: 8 }]
          return [r.type, r.actor, r.payload]
        })()
        return { seq: r.seq, ts: r.ts, type, actor, payload }
      })
      await s.write({ audit: relink(records) })
      const anchors = await s.auditAnchors()
      expect(anchors.map((r) => [r.seq, r.type])).toEqual([
        [6, 'audit.key'],
        [7, 'audit.checkpoint'],
        [9, 'audit.checkpoint'],
      ])
      expect(anchors[1]!.payload).toEqual({ seq: 6 })
    })

    it('appends a large batch and returns every record and payload intact', async () => {
      const s = await fresh()
      const chain = makeAudit(123)
      await s.write({ audit: chain })
      const { items } = await collect(s.iterateAudit({}, 50))
      expect(items).toEqual(chain.map((r) => ({ ...r, body: recordBody(r) })))
    })

    it('round-trips awkward payloads', async () => {
      const s = await fresh()
      const payloads: unknown[] = [
        undefined,
        null,
        'a "quoted" string with ,"seq":1,"ts":1,"type":"x"} inside',
        { z: 1, a: [true, null, { '': 'ünïcødé ✓ \\ \n' }], n: -0.5 },
        [],
        12345678901234,
      ]
      let prev = { seq: 0, hash: GENESIS_HASH }
      const records: AuditRecord[] = payloads.map((payload, i) => {
        const r = { seq: i + 1, ts: i, type: 'odd "type"', actor: 'operator:ö', payload }
        const rec = { ...r, prevHash: prev.hash, hash: chainHash(prev.hash, recordBody(r)) }
        prev = rec
        return rec
      })
      await s.write({ audit: records })
      const { items } = await collect(s.iterateAudit())
      expect(items.map((r) => r.payload)).toEqual(payloads.map((p) => p ?? null))
      for (const [i, r] of items.entries()) expect(r.body).toBe(recordBody(records[i] as AuditRecord))
    })

    it('stores the body the caller hashed', async () => {
      const s = await fresh()
      const body = '{"actor":"system","payload":{"x":"1.0"},"seq":1,"ts":1,"type":"t"}'
      const rec: StoredAuditRecord = {
        seq: 1,
        ts: 1,
        type: 't',
        actor: 'system',
        payload: { x: '1.0' },
        prevHash: GENESIS_HASH,
        hash: chainHash(GENESIS_HASH, body),
        body,
      }
      await s.write({ audit: [rec] })
      const { items } = await collect(s.iterateAudit())
      expect(items[0]?.body).toBe(body)
    })

    describe('refuses audit records that do not continue the chain, writing nothing', () => {
      const cases: [string, (chain: AuditRecord[]) => AuditRecord[]][] = [
        ['wrong seq', (c) => makeAudit(2, { seq: 3, hash: c[1]?.hash ?? '' })],
        ['seq already stored', (c) => makeAudit(1, { seq: 1, hash: c[1]?.hash ?? '' })],
        ['wrong prevHash', (c) => makeAudit(1, { seq: 2, hash: c[0]?.hash ?? '' })],
        ['gap inside the batch', (c) => {
          const a = makeAudit(3, { seq: 2, hash: c[1]?.hash ?? '' })
          return [a[0], a[2]] as AuditRecord[]
        }],
        ['broken link inside the batch', (c) => {
          const a = makeAudit(2, { seq: 2, hash: c[1]?.hash ?? '' })
          return [a[0] as AuditRecord, { ...(a[1] as AuditRecord), prevHash: GENESIS_HASH }]
        }],
      ]
      for (const [label, bad] of cases) {
        it(label, async () => {
          const s = await fresh()
          const chain = makeAudit(2)
          await s.write({ audit: chain })
          await expect(
            s.write({ audit: bad(chain), orders: [makeOrder('x')], fills: [makeFill('t9')], state: [{ key: 'k', value: 1 }] }),
          ).rejects.toBeInstanceOf(InvariantViolation)
          expect(await s.countAudit()).toBe(2)
          expect(await s.auditHead()).toEqual({ seq: 2, hash: chain[1]?.hash })
          expect(await s.loadOrders()).toEqual([])
          expect(await s.countFills()).toBe(0)
          expect(await s.getState('k')).toBeUndefined()
        })
      }
      it('a first record that is not seq 1 on genesis', async () => {
        const s = await fresh()
        await expect(s.write({ audit: makeAudit(1, { seq: 1, hash: GENESIS_HASH }) })).rejects.toBeInstanceOf(
          InvariantViolation,
        )
        await expect(s.write({ audit: makeAudit(1, { seq: 0, hash: 'f'.repeat(64) }) })).rejects.toBeInstanceOf(
          InvariantViolation,
        )
        expect(await s.countAudit()).toBe(0)
      })
    })

    it('iterates audit ranges by seq (inclusive) and ts ([from, to)) in batches', async () => {
      const s = await fresh()
      await s.write({ audit: makeAudit(25) })
      const seqs = async (range: Parameters<Store['iterateAudit']>[0], size?: number): Promise<number[]> =>
        (await collect(s.iterateAudit(range, size))).items.map((r) => r.seq)
      const all = await collect(s.iterateAudit({}, 10))
      expect(all.batches).toBe(3)
      expect(all.items.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
      expect(await seqs({ fromSeq: 20 })).toEqual([20, 21, 22, 23, 24, 25])
      expect(await seqs({ toSeq: 3 })).toEqual([1, 2, 3])
      expect(await seqs({ fromSeq: 5, toSeq: 9 }, 2)).toEqual([5, 6, 7, 8, 9])
      expect(await seqs({ fromTs: 4000, toTs: 7000 })).toEqual([4, 5, 6])
      expect(await seqs({ fromSeq: 5, toTs: 7000 })).toEqual([5, 6])
      expect(await seqs({ fromSeq: 26 })).toEqual([])
    })

    it('truncates the audit tail and returns it, oldest first', async () => {
      const s = await fresh()
      const chain = makeAudit(6)
      await s.write({ audit: chain })
      const removed = await s.truncateAuditAfter(4)
      expect(removed.map((r) => r.seq)).toEqual([5, 6])
      expect(removed[0]).toEqual({ ...chain[4], body: recordBody(chain[4] as AuditRecord) })
      expect(await s.auditHead()).toEqual({ seq: 4, hash: chain[3]?.hash })
      expect(await s.truncateAuditAfter(10)).toEqual([])
      // The chain continues from the new head.
      await s.write({ audit: makeAudit(1, chain[3]) })
      expect(await s.countAudit()).toBe(5)
      expect(await s.truncateAuditAfter(0)).toHaveLength(5)
      expect(await s.auditHead()).toBeUndefined()
    })

    it('returns decimal strings byte for byte', async () => {
      const s = await fresh()
      const tiny = '0.000000000000000001'
      const huge = '123456789012345678901234567890.123'
      const odd = ['1.10', '-0', '1e-7', '00.5', '0.1000000000000000055511151231257827']
      await s.write({
        orders: [makeOrder('x', { amount: huge, price: tiny, decisionPrice: odd[0] ?? null, filled: odd[4] ?? '', cost: odd[1] ?? '' })],
        fills: [makeFill('t', { price: tiny, amount: huge, cost: odd[2] ?? '', feeCost: odd[3] ?? '' })],
        deposits: [{ venue: 'v', asset: 'BTC', amount: tiny, ts: 1, reason: 'r' }],
        state: [{ key: 'k', value: { amount: huge, tiny } }],
      })
      const [o] = await s.loadOrders()
      expect([o?.amount, o?.price, o?.decisionPrice, o?.filled, o?.cost]).toEqual([huge, tiny, odd[0], odd[4], odd[1]])
      const [f] = (await collect(s.iterateFills())).items
      expect([f?.price, f?.amount, f?.cost, f?.feeCost]).toEqual([tiny, huge, odd[2], odd[3]])
      expect((await s.loadDeposits())[0]?.amount).toBe(tiny)
      expect(await s.getState('k')).toEqual({ amount: huge, tiny })
    })

    it('keeps large millisecond timestamps and sequences exact', async () => {
      const s = await fresh()
      const ts = 4_102_444_800_123 // 2100-01-01
      await s.write({ fills: [makeFill('t', { timestamp: ts })], sequences: [{ strategyId: 's', next: 2 ** 40 }] })
      expect((await collect(s.iterateFills())).items[0]?.timestamp).toBe(ts)
      expect((await s.loadSequences()).get('s')).toBe(2 ** 40)
    })

    it('writes synchronously when it offers writeSync', async () => {
      const s = await fresh()
      if (s.writeSync === undefined) return
      s.writeSync({ orders: [makeOrder('a')], audit: makeAudit(1) })
      expect(await s.loadOrders()).toHaveLength(1)
      expect(() => s.writeSync?.({ audit: makeAudit(1) })).toThrow(InvariantViolation)
      expect(() => s.writeSync?.({ fills: [makeFill('t'), makeFill('t')] })).toThrow(DuplicateFill)
      expect(await s.countAudit()).toBe(1)
    })

    if (options.reopen !== undefined) {
      const reopen = options.reopen
      it('keeps everything across close and reopen', async () => {
        const s = await fresh()
        const chain = makeAudit(3)
        const batch = {
          orders: [makeOrder('a'), makeOrder('b', { state: 'closed', createdAt: 1_700_000_000_001 })],
          fills: [makeFill('t1'), makeFill('t2', { timestamp: 1 })],
          deposits: [{ venue: 'binance', asset: 'USDT', amount: '100.00', ts: 1, reason: 'start' }],
          state: [{ key: 'epoch', value: { n: 1 } }],
          sequences: [{ strategyId: 'grid', next: 12 }],
          audit: chain,
          strategyVersions: [
            { strategy: 'grid', version: '1', status: 'live', params: {}, codeHash: 'h', artifact: null, validation: null, createdAt: 1 },
          ],
          reports: [{ kind: 'eod', date: '2024-01-01', path: 'p', createdAt: 1, summary: null }],
        } satisfies WriteBatch
        await s.write(batch)
        const before = await contents(s)
        await s.close()
        const r = await reopen(s)
        opened.push(r)
        expect(r.location).toBe(s.location)
        expect(await r.schemaVersion()).toBe(latestVersion())
        expect(await contents(r)).toEqual(before)
        expect(before.orders).toHaveLength(2)
        expect(before.audit).toHaveLength(3)
        // Appending continues from the persisted head; a stale batch is refused.
        await r.write({ audit: makeAudit(1, chain[2]) })
        await expect(r.write({ audit: makeAudit(1, chain[2]) })).rejects.toBeInstanceOf(InvariantViolation)
        await expect(r.write({ fills: [makeFill('t1')] })).rejects.toBeInstanceOf(DuplicateFill)
      })
    }
  })
}
