// Small shared pieces: numbers (decimal strings as sent, right-aligned), UTC times, tables, bars, panels, forms.
import type { ComponentChildren, JSX } from 'preact'
import type { ApiFailure, Resource } from './api'
import { groupThousands, roundDecimal } from './decimal'

/** `2026-11-20 23:38:57 UTC`, with the local time on hover. */
export function Time({ ms }: { ms: number | string | null | undefined }): JSX.Element {
  if (ms === null || ms === undefined) return <span class="muted">—</span>
  const d = new Date(ms)
  if (Number.isNaN(d.getTime())) return <span>{String(ms)}</span>
  const iso = d.toISOString()
  // Today's times without the date (the hover has it all).
  const today = iso.slice(0, 10) === new Date().toISOString().slice(0, 10)
  return (
    <time dateTime={iso} title={`${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC · local: ${d.toLocaleString()}`}>
      {today ? '' : `${iso.slice(0, 10)} `}
      {iso.slice(11, 19)} UTC
    </time>
  )
}

/**
 * A decimal string as the API sent it (long fractions rounded on the digits, thousands grouped, the full value
 * on hover), signed in colour.
 */
export function Num({ value, unit, signed = false, testId, places = 8 }: { value: string | number | null | undefined; unit?: string; signed?: boolean; testId?: string; places?: number }): JSX.Element {
  if (value === null || value === undefined || value === '') return <span class="num muted">—</span>
  const full = String(value)
  const text = groupThousands(roundDecimal(full, places))
  const neg = text.startsWith('-')
  const zero = /^-?0(\.0*)?$/.test(text)
  const cls = `num${signed && !zero ? (neg ? ' neg' : ' pos') : ''}`
  return (
    <span class={cls} data-testid={testId} title={text.replaceAll(',', '') === full ? undefined : full}>
      {text}
      {unit !== undefined ? <span class="unit"> {unit}</span> : null}
    </span>
  )
}

export interface Column<T> {
  readonly key: string
  readonly label: string
  readonly num?: boolean
  /** Long text that may wrap (other cells stay on one line; the table scrolls sideways on a phone). */
  readonly wrap?: boolean
  readonly render: (row: T) => ComponentChildren
}

export function Table<T>({ rows, columns, empty, caption, rowKey }: { rows: readonly T[]; columns: readonly Column<T>[]; empty: string; caption?: string; rowKey: (row: T, i: number) => string }): JSX.Element {
  if (rows.length === 0) return <p class="muted empty">{empty}</p>
  return (
    // A region that takes focus, so a table wider than the screen can be scrolled from the keyboard.
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption ?? 'table'}>
      <table>
        {caption !== undefined ? <caption class="sr-only">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" class={c.num === true ? 'num' : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey(r, i)}>
              {columns.map((c) => (
                <td key={c.key} class={c.num === true ? 'num' : c.wrap === true ? 'wrap' : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** A usage bar (0–100 %, beyond 100 shown full and red). */
export function Bar({ pct, label }: { pct: number | null | undefined; label: string }): JSX.Element {
  if (pct === null || pct === undefined) return <span class="muted">no standing use</span>
  const level = pct >= 100 ? 'crit' : pct >= 75 ? 'warn' : 'ok'
  return (
    <div class="bar-row">
      <div class={`bar ${level}`} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-label={label}>
        <div class="fill" style={{ width: `${Math.min(100, Math.max(0, pct))}%` }} />
      </div>
      <span class="num pct">{pct.toFixed(1)} %</span>
    </div>
  )
}

export function ErrorBanner({ error }: { error: ApiFailure | undefined }): JSX.Element | null {
  // A server that cannot be reached is said once, by the page's own banner (app.tsx), not by every panel.
  if (error === undefined || error.code === 'NETWORK') return null
  return (
    <div class="banner error" role="alert">
      <strong>
        {error.status > 0 ? `${error.status} ` : ''}
        {error.code}
      </strong>{' '}
      {error.message}
    </div>
  )
}

export function Panel({ title, children, id, actions }: { title: string; children: ComponentChildren; id?: string; actions?: ComponentChildren }): JSX.Element {
  const headingId = `h-${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`
  return (
    <section class="panel" aria-labelledby={headingId} id={id}>
      <header class="panel-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  )
}

/** Renders a resource: its error banner, a loading line, or the body once data came. */
export function Loaded<T>({ res, children }: { res: Resource<T>; children: (data: T) => ComponentChildren }): JSX.Element {
  return (
    <>
      <ErrorBanner error={res.error} />
      {res.data === undefined ? (
        res.error === undefined ? (
          <p class="muted">loading…</p>
        ) : res.error.code === 'NETWORK' ? (
          <p class="muted">no answer from the server</p>
        ) : null
      ) : (
        children(res.data)
      )}
    </>
  )
}

/**
 * Newer / older buttons under a list shown newest first, a page at a time; a missing handler disables its button.
 * `children` say where the page stands (e.g. `26–50 of 120`).
 */
export function Pager({ onNewer, onOlder, children }: { onNewer: (() => void) | undefined; onOlder: (() => void) | undefined; children?: ComponentChildren }): JSX.Element {
  return (
    <div class="toolbar">
      <button type="button" class="btn small" disabled={onNewer === undefined} onClick={onNewer}>
        ← Newer
      </button>
      {children}
      <button type="button" class="btn small" disabled={onOlder === undefined} onClick={onOlder}>
        Older →
      </button>
    </div>
  )
}

export function Badge({ level, children }: { level: 'ok' | 'warn' | 'crit' | 'info'; children: ComponentChildren }): JSX.Element {
  return <span class={`badge ${level}`}>{children}</span>
}

export function levelOf(text: string): 'ok' | 'warn' | 'crit' | 'info' {
  const t = text.toLowerCase()
  if (['ok', 'closed', 'active', 'inactive', 'connected'].includes(t)) return 'ok'
  if (['warning', 'half_open', 'half-open', 'reducing', 'degraded'].includes(t)) return 'warn'
  if (['critical', 'open', 'halted', 'discrepancies', 'failed', 'unreadable', 'error'].includes(t)) return 'crit'
  return 'info'
}

/**
 * A form's onSubmit: the page does the work (Enter or the submit button never makes the browser navigate),
 * with `action` if the form has one; a toolbar of filters has none, its fields act as they change.
 */
export function onSubmitDo(action: () => void | Promise<void> = () => undefined): (e: Event) => void {
  return (e) => {
    e.preventDefault()
    void action()
  }
}

/** Short JSON for a table cell. */
export function brief(value: unknown, max = 160): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
