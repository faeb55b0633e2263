// Logs: the server process's recent log lines (the session's, the strategies' and the API server's), newest first,
// filtered by level and text.
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { useResource } from '../api'
import { Badge, Loaded, Panel, Table, Time, onSubmitDo } from '../ui'

interface LogLine {
  readonly seq: number
  readonly at: number
  readonly level: 'info' | 'warn' | 'error'
  readonly source: string
  readonly message: string
}

const LEVEL_BADGE = { info: 'info', warn: 'warn', error: 'crit' } as const

export function Logs(): JSX.Element {
  const [level, setLevel] = useState('info')
  const [text, setText] = useState('')
  const query = new URLSearchParams({ level, limit: '500', ...(text.trim() !== '' ? { text: text.trim() } : {}) })
  const res = useResource<{ kept: boolean; lines: LogLine[] }>(`/logs?${query.toString()}`, 3_000)
  return (
    <div class="page">
      <h1>Logs</h1>
      <Panel title="Recent log lines">
        <form class="toolbar" onSubmit={onSubmitDo()}>
          <label>
            Level at least{' '}
            <select name="level" value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
              <option value="info">info</option>
              <option value="warn">warn</option>
              <option value="error">error</option>
            </select>
          </label>
          <label>
            Containing <input name="text" value={text} placeholder="any text" onChange={(e) => setText(e.currentTarget.value)} />
          </label>
        </form>
        <Loaded res={res}>
          {(v) => (
            <Table
              rows={v.lines}
              rowKey={(l) => String(l.seq)}
              empty={v.kept ? 'No log lines match.' : 'This server keeps no log lines.'}
              caption="Log lines, newest first"
              columns={[
                { key: 'at', label: 'Time', render: (l) => <Time ms={l.at} /> },
                { key: 'level', label: 'Level', render: (l) => <Badge level={LEVEL_BADGE[l.level]}>{l.level}</Badge> },
                { key: 'source', label: 'Source', render: (l) => l.source },
                { key: 'message', label: 'Message', wrap: true, render: (l) => <span data-testid="log-message">{l.message}</span> },
              ]}
            />
          )}
        </Loaded>
      </Panel>
    </div>
  )
}
