/**
 * @module observability/log-buffer
 * The last lines a `sofia serve` process wrote to its log (the session's lines, the strategies' lines and the
 * API server's pino lines), kept in memory for `GET /logs` and the dashboard's Logs page: the newest 1,000, each
 * with its time, level and source. The lines are the ones already on stderr, so nothing here is more revealing
 * than the process's own log (request URLs are redacted before they are logged).
 */

export const LOG_BUFFER_LEVELS = ['info', 'warn', 'error'] as const
export type LogBufferLevel = (typeof LOG_BUFFER_LEVELS)[number]

export interface LogLine {
  readonly seq: number
  readonly at: number
  readonly level: LogBufferLevel
  readonly source: string
  readonly message: string
}

const RANK: Record<LogBufferLevel, number> = { info: 0, warn: 1, error: 2 }

/** The level a session line states: `[critical]`/`critical:` and errors are error, `[warning]`/`warning:` warn. */
export function levelOfLine(line: string): LogBufferLevel {
  const head = line.slice(0, 40).toLowerCase()
  if (/\[critical\]|\bcritical\b|\berror\b|\bfailed\b/.test(head)) return 'error'
  if (/\[warning\]|\bwarning\b|\bwarn\b/.test(head)) return 'warn'
  return 'info'
}

export class LogBuffer {
  private readonly lines: LogLine[] = []
  private seq = 0

  constructor(
    private readonly capacity = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  push(level: LogBufferLevel, source: string, message: string): void {
    this.lines.push({ seq: ++this.seq, at: this.now(), level, source, message })
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity)
  }

  /** A pino JSON line (the API server's log): its level, `msg` and request, if any. */
  pushPino(json: string): void {
    let o: { level?: number; msg?: string; req?: { method?: string; url?: string }; res?: { statusCode?: number }; err?: { message?: string } }
    try {
      o = JSON.parse(json) as typeof o
    } catch {
      return
    }
    const level: LogBufferLevel = (o.level ?? 30) >= 50 ? 'error' : (o.level ?? 30) >= 40 ? 'warn' : 'info'
    const parts = [o.msg, o.req !== undefined ? `${o.req.method ?? ''} ${o.req.url ?? ''}`.trim() : undefined, o.res?.statusCode !== undefined ? String(o.res.statusCode) : undefined, o.err?.message]
    this.push(level, 'api', parts.filter((x) => x !== undefined && x !== '').join(' · '))
  }

  /** Newest first: at or above `level`, containing `text` (case-insensitive), at most `limit`. */
  recent(filter: { readonly level?: LogBufferLevel; readonly text?: string; readonly limit?: number } = {}): LogLine[] {
    const min = RANK[filter.level ?? 'info']
    const text = filter.text?.toLowerCase()
    const out: LogLine[] = []
    for (let i = this.lines.length - 1; i >= 0 && out.length < (filter.limit ?? 200); i--) {
      const l = this.lines[i]!
      if (RANK[l.level] < min) continue
      if (text !== undefined && text !== '' && !l.message.toLowerCase().includes(text) && !l.source.toLowerCase().includes(text)) continue
      out.push(l)
    }
    return out
  }
}
