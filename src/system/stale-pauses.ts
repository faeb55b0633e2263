/**
 * @module system/stale-pauses
 * Trading blind is not allowed: a strategy whose market data is critically stale may only reduce until the data
 * flows again. Which feeds (`venue:symbol`) a strategy depends on comes from its parameters and the orders it
 * sends; a strategy with none known depends on every feed (fail closed), as does every strategy when the
 * staleness monitor names no feed.
 */

/** A strategy paused or resumed, with the feeds that paused it. */
export interface StalePauseChange {
  readonly strategyId: string
  readonly state: 'paused' | 'resumed'
  readonly feeds: readonly string[]
}

export class StalePauses {
  /** Feeds critically stale at the last evaluation (`*`: stale, no feed named). */
  private readonly staleFeeds = new Set<string>()
  /** Feeds each strategy depends on (parameters and traded instruments). */
  private readonly feedsOf = new Map<string, Set<string>>()
  /** Strategies paused by stale data, with the stale feeds they depend on. */
  private readonly paused = new Map<string, readonly string[]>()

  constructor(
    strategyFeeds: ReadonlyMap<string, readonly string[]> | undefined,
    private readonly onChange: (change: StalePauseChange) => void,
  ) {
    for (const [id, feeds] of strategyFeeds ?? []) this.feedsOf.set(id, new Set(feeds))
  }

  /** A strategy with known feeds sent an order on `feed`: it depends on that feed too. */
  traded(strategyId: string, feed: string): void {
    this.feedsOf.get(strategyId)?.add(feed)
  }

  /** The stale feeds `strategyId` depends on (every stale feed when its feeds are unknown). */
  staleFeedsOf(strategyId: string): string[] {
    if (this.staleFeeds.size === 0) return []
    const feeds = this.feedsOf.get(strategyId)
    if (feeds === undefined || feeds.size === 0) return [...this.staleFeeds]
    if (this.staleFeeds.has('*')) return ['*']
    return [...feeds].filter((f) => this.staleFeeds.has(f))
  }

  /** The monitors' verdict: these feeds are critically stale (`anyStale` without a feed named: every feed). */
  update(staleNow: readonly string[], anyStale: boolean): void {
    this.staleFeeds.clear()
    for (const feed of staleNow) this.staleFeeds.add(feed)
    if (anyStale && staleNow.length === 0) this.staleFeeds.add('*')
    const ids = new Set([...this.feedsOf.keys(), ...this.paused.keys()])
    for (const id of ids) {
      const stale = this.staleFeedsOf(id)
      const was = this.paused.get(id)
      if (stale.length > 0 && was === undefined) {
        this.paused.set(id, stale)
        this.onChange({ strategyId: id, state: 'paused', feeds: stale })
      } else if (stale.length === 0 && was !== undefined) {
        this.paused.delete(id)
        this.onChange({ strategyId: id, state: 'resumed', feeds: was })
      }
    }
  }

  /** Strategies paused by stale data and the feeds that paused them. */
  get pauses(): ReadonlyMap<string, readonly string[]> {
    return this.paused
  }
}
