import { describe, expect, it } from 'vitest'
import { BinaryHeap } from './binary-heap.js'
import { Prng } from './prng.js'

describe('BinaryHeap', () => {
  it('takes items out in the order `before` gives, pushes and pops interleaved (seeded, against a sort)', () => {
    const rng = new Prng(3)
    type Item = { key: number; seq: number }
    const before = (a: Item, b: Item): boolean => a.key < b.key || (a.key === b.key && a.seq < b.seq)
    const heap = new BinaryHeap<Item>(before)
    const shadow: Item[] = []
    const out: Item[] = []
    const expected: Item[] = []
    for (let seq = 0; seq < 5_000; seq++) {
      const item = { key: Math.floor(rng.next() * 50), seq }
      heap.push(item)
      shadow.push(item)
      if (rng.next() < 0.4) {
        shadow.sort((a, b) => (before(a, b) ? -1 : 1))
        expected.push(shadow.shift()!)
        expect(heap.peek()).toBe(expected.at(-1))
        out.push(heap.pop()!)
      }
    }
    shadow.sort((a, b) => (before(a, b) ? -1 : 1))
    expected.push(...shadow)
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item)
    expect(out).toEqual(expected)
    expect(heap.size).toBe(0)
    expect(heap.peek()).toBeUndefined()
  })
})
