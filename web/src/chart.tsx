// A uPlot line chart that follows its container's width and the theme. Chart points are floats (pixels);
// the numbers shown as text elsewhere stay the API's decimal strings.
import type { JSX } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { TIME_STEPS, timeAxisLabels } from './time-axis'

/** A theme colour (a CSS variable of the page's root) for a canvas chart, which cannot read var() itself. */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim()
  return v === '' ? fallback : v
}

export function LineChart({
  points,
  label,
  height = 220,
  theme,
  bars = false,
  empty = 'waiting for status ticks (one a second)…',
}: {
  points: readonly (readonly [number, number])[]
  label: string
  height?: number
  theme: string
  /** Bars (one a point, e.g. a day) instead of a line. */
  bars?: boolean
  /** Said while there are fewer than two points. */
  empty?: string
}): JSX.Element {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)

  const data = (): uPlot.AlignedData => [points.map((p) => p[0]), points.map((p) => p[1])]

  useEffect(() => {
    const el = box.current
    if (el === null) return
    const ink = cssVar('--muted', '#888')
    const grid = cssVar('--line', '#ddd')
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {
          stroke: ink,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          // Whole seconds at least, shown as UTC clock times (a day or more: with the date).
          incrs: TIME_STEPS,
          values: (_u, splits) => timeAxisLabels(splits),
        },
        { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 70 },
      ],
      series: [
        {},
        bars
          ? { label, stroke: cssVar('--accent', '#2563eb'), fill: cssVar('--accent', '#2563eb'), width: 1, points: { show: false }, paths: uPlot.paths.bars!({ size: [0.6, 48] }) }
          : { label, stroke: cssVar('--accent', '#2563eb'), width: 2, points: { show: false } },
      ],
      // Times on the axis in UTC, like every time on the page.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    }
    const u = new uPlot(opts, data(), el)
    plot.current = u
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }))
    ro.observe(el)
    return () => {
      ro.disconnect()
      u.destroy()
      plot.current = null
    }
    // Recreated on a theme change (its colours are baked in); data flows in through setData below.
  }, [theme, height, label, bars])

  useEffect(() => {
    plot.current?.setData(data())
  })

  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={`${label} chart, ${points.length} points`} />
      {points.length < 2 ? <figcaption class="muted">{empty}</figcaption> : null}
    </figure>
  )
}
