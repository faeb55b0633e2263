// The shell: login with an API token, hash routing between the pages, theme, live connection and toasts.
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiFailure, api, currentToken, handleUnauthorized, setToken, useServerDownSince } from './api'
import type { WhoAmI } from './api'
import { connectLive, disconnectLive, useLive } from './live'
import { Account } from './pages/account'
import { Audit } from './pages/audit'
import { Backtests } from './pages/backtests'
import { Canary } from './pages/canary'
import { Chart } from './pages/chart'
import { Cluster } from './pages/cluster'
import { Logs } from './pages/logs'
import { Overview } from './pages/overview'
import { Pnl } from './pages/pnl'
import { Reconciliation } from './pages/reconciliation'
import { Risk } from './pages/risk'
import { Strategies } from './pages/strategies'
import { Trades } from './pages/trades'
import { dismissToast, pushToast, reportError, useToasts } from './toasts'
import { onSubmitDo } from './ui'

/** What every page is drawn with: whether the signed-in role may act, and the theme (for the charts). */
interface PageProps {
  readonly canOperate: boolean
  readonly theme: Theme
}

const PAGES = [
  { id: 'overview', title: 'Overview', view: (p: PageProps) => <Overview canOperate={p.canOperate} theme={p.theme} /> },
  { id: 'chart', title: 'Chart', view: (p: PageProps) => <Chart theme={p.theme} /> },
  { id: 'strategies', title: 'Strategies', view: (p: PageProps) => <Strategies canOperate={p.canOperate} /> },
  { id: 'trades', title: 'Trades', view: () => <Trades /> },
  { id: 'risk', title: 'Risk', view: () => <Risk /> },
  { id: 'pnl', title: 'P&L', view: (p: PageProps) => <Pnl theme={p.theme} /> },
  { id: 'account', title: 'Account', view: () => <Account /> },
  { id: 'reconciliation', title: 'Reconciliation', view: (p: PageProps) => <Reconciliation canOperate={p.canOperate} /> },
  { id: 'audit', title: 'Audit', view: () => <Audit /> },
  { id: 'canary', title: 'Canary', view: () => <Canary /> },
  { id: 'backtests', title: 'Backtests', view: (p: PageProps) => <Backtests canOperate={p.canOperate} theme={p.theme} /> },
  { id: 'logs', title: 'Logs', view: () => <Logs /> },
  { id: 'cluster', title: 'Cluster', view: () => <Cluster /> },
] as const satisfies readonly { id: string; title: string; view: (p: PageProps) => JSX.Element }[]
type PageId = (typeof PAGES)[number]['id']

function pageFromHash(): PageId {
  const id = location.hash.replace(/^#\/?/, '')
  return PAGES.find((p) => p.id === id)?.id ?? 'overview'
}

/** `#token=…` logs in; the token is taken out of the address bar (and history) at once. */
export function takeTokenFromHash(): string | undefined {
  const m = /^#token=([^&]+)/.exec(location.hash)
  if (m === null) return undefined
  history.replaceState(null, '', `${location.pathname}${location.search}#/overview`)
  return decodeURIComponent(m[1] ?? '')
}

type Theme = 'light' | 'dark'
const THEME_KEY = 'sofia.theme'

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY)
  if (saved === 'light' || saved === 'dark') return saved
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

function Toasts(): JSX.Element {
  const toasts = useToasts()
  return (
    <div class="toasts" aria-live="polite" aria-atomic="false">
      {toasts.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid="toast">
          <div>
            <strong>{t.title}</strong>
            <div class="small">{t.message}</div>
          </div>
          <button type="button" class="btn ghost" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}

function Login({ onLogin, notice }: { onLogin: (token: string) => Promise<void>; notice: string }): JSX.Element {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string>('')
  const [busy, setBusy] = useState(false)
  return (
    <main class="login" id="main">
      <form
        class="login-card"
        onSubmit={onSubmitDo(() => {
          setBusy(true)
          setError('')
          onLogin(value.trim()).catch((err: unknown) => {
            setError(err instanceof ApiFailure ? `${err.status} ${err.code}: ${err.message}` : String(err))
            setBusy(false)
          })
        })}
      >
        <h1>Sofia</h1>
        <p class="muted">Operator dashboard. Sign in with an API token (sofia tokens create --name NAME --role viewer|operator).</p>
        {notice !== '' ? (
          <p class="banner info" role="status">
            {notice}
          </p>
        ) : null}
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} placeholder="sofia_…" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <p class="small muted">Kept in this tab only (session storage).</p>
        <button type="submit" class="btn primary" disabled={busy || value.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p class="err" role="alert" data-testid="login-error">
          {error}
        </p>
      </form>
    </main>
  )
}

export function App({ initialToken }: { initialToken: string | undefined }): JSX.Element {
  const [me, setMe] = useState<WhoAmI | null>(null)
  const [checking, setChecking] = useState(true)
  const [notice, setNotice] = useState('')
  const [page, setPage] = useState<PageId>(pageFromHash())
  const [theme, setTheme] = useState<Theme>(initialTheme)
  const live = useLive()
  const downSince = useServerDownSince()

  const login = async (token: string): Promise<void> => {
    const who = await api<WhoAmI>('/auth/whoami', { token })
    setToken(token)
    setMe(who)
    setNotice('')
    connectLive(token)
  }

  const logout = (why: string): void => {
    setToken(null)
    disconnectLive()
    setMe(null)
    setNotice(why)
  }

  useEffect(() => {
    handleUnauthorized((f) => {
      logout(`Signed out: ${f.code} — ${f.message}`)
      reportError(f)
    })
    const token = initialToken ?? currentToken()
    if (token === null || token === undefined) {
      setChecking(false)
      return
    }
    login(token)
      .catch((error: unknown) => {
        setToken(null)
        setNotice(error instanceof ApiFailure ? `${error.code}: ${error.message}` : String(error))
        reportError(error)
      })
      .finally(() => setChecking(false))
  }, [])

  useEffect(() => {
    const onHash = (): void => {
      const t = takeTokenFromHash()
      if (t !== undefined) {
        login(t).catch(reportError)
        return
      }
      setPage(pageFromHash())
    }
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])

  useEffect(() => {
    document.documentElement.dataset['theme'] = theme
  }, [theme])

  const current = PAGES.find((p) => p.id === page) ?? PAGES[0]
  useEffect(() => {
    document.title = `${current.title} · Sofia`
  }, [page])

  if (checking) return <p class="muted center">Connecting…</p>
  if (me === null) {
    return (
      <>
        <Login onLogin={login} notice={notice} />
        <Toasts />
      </>
    )
  }
  const canOperate = me.role !== 'viewer'

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <strong class="brand">Sofia</strong>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === page ? 'page' : undefined} class={p.id === page ? 'current' : ''}>
              {p.title}
            </a>
          ))}
        </nav>
        <div class="who">
          <span class={`dot ${live.connected ? 'on' : 'off'}`} title={live.connected ? 'live stream connected' : 'live stream disconnected'} aria-hidden="true" />
          <span class="small" data-testid="whoami">
            {me.name} ({me.role})
          </span>
          <button
            type="button"
            class="btn ghost"
            data-testid="theme-toggle"
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            onClick={() => {
              const next = theme === 'dark' ? 'light' : 'dark'
              localStorage.setItem(THEME_KEY, next)
              setTheme(next)
            }}
          >
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          <button
            type="button"
            class="btn ghost"
            onClick={() => {
              logout('Signed out.')
              pushToast('info', 'Signed out', 'The token was removed from this tab.')
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      {downSince !== undefined ? (
        <div class="banner error offline" role="alert" data-testid="offline-banner">
          Disconnected from the server since {new Date(downSince).toISOString().slice(11, 19)} UTC. Everything below is
          as it was then; controls are disabled until the server answers again.
        </div>
      ) : null}
      <main id="main" class={downSince !== undefined ? 'stale' : undefined} inert={downSince !== undefined} aria-busy={downSince !== undefined}>
        {current.view({ canOperate, theme })}
      </main>
      <Toasts />
    </>
  )
}
