// A value the whole page shares (the server's reachability, the live feed, the toasts): set in one module,
// rendered by every component that reads it with useSharedValue.
import { useEffect, useState } from 'preact/hooks'

export class SharedValue<T> {
  readonly #listeners = new Set<(value: T) => void>()
  #value: T

  constructor(initial: T) {
    this.#value = initial
  }

  get(): T {
    return this.#value
  }

  /** Sets the value and re-renders every component that reads it. */
  set(value: T): void {
    this.#value = value
    for (const l of this.#listeners) l(value)
  }

  /** Calls `listener` on every set until the returned function is called. */
  subscribe(listener: (value: T) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }
}

/** The shared value, re-rendering the component whenever it is set. */
export function useSharedValue<T>(shared: SharedValue<T>): T {
  const [value, setValue] = useState(shared.get())
  useEffect(() => {
    const unsubscribe = shared.subscribe(setValue)
    // A set between the render and this effect would otherwise be missed.
    setValue(shared.get())
    return unsubscribe
  }, [shared])
  return value
}
