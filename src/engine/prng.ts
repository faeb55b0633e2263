/**
 * @module engine/prng
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) with uniform and normal draws. Backtests must
 * be byte-for-byte repeatable, so nothing in Sofia touches Math.random: every random draw comes from here.
 */

export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number
  /** Box–Muller makes normals in pairs; the second waits here. */
  private spare = Number.NaN

  constructor(seed: number) {
    // splitmix32 spreads any integer seed (0 included) over the 128-bit state.
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const spare = this.spare
    if (spare === spare) {
      this.spare = Number.NaN
      return spare
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
