// The operator's hands on orders: cancel one, cancel all (with a reason), and the manual order ticket, which goes
// through the same pre-trade checks as a strategy's order (POST /orders, under strategy id `manual`).
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { ApiFailure, api } from './api'
import { pushToast, reportError } from './toasts'
import { onSubmitDo } from './ui'

/** Cancels one order: asked for here, settled by the venue's confirmation. */
export function CancelOrderButton({ id, onDone }: { id: string; onDone: () => void }): JSX.Element {
  const [busy, setBusy] = useState(false)
  return (
    <button
      type="button"
      class="btn small"
      data-testid="cancel-order"
      aria-label={`Cancel order ${id}`}
      disabled={busy}
      onClick={() => {
        setBusy(true)
        api<{ state: string }>(`/orders/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: { reason: 'dashboard: cancel one order' } }).then(
          (r) => {
            pushToast('info', 'Cancel sent', `${id}: ${r.state === 'pending_cancel' ? 'waiting for the venue to confirm' : r.state}`)
            onDone()
          },
          (error: unknown) => {
            reportError(error)
            setBusy(false)
          },
        )
      }}
    >
      {busy ? 'Cancelling…' : 'Cancel'}
    </button>
  )
}

/** Cancel every open order, once a reason is given; reports confirmed and still-pending cancels apart. */
export function CancelAll({ onDone }: { onDone: () => void }): JSX.Element {
  const [asking, setAsking] = useState(false)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  if (!asking) {
    return (
      <button type="button" class="btn small" data-testid="cancel-all" onClick={() => setAsking(true)}>
        Cancel all
      </button>
    )
  }
  return (
    <form
      class="row"
      onSubmit={onSubmitDo(() => {
        setBusy(true)
        api<{ requested: number; cancelled: number; filled: number; pending: string[] }>('/orders/cancel-all', { method: 'POST', body: { reason: reason.trim() } }).then(
          (r) => {
            pushToast('info', 'Cancel all', `${r.cancelled} of ${r.requested} confirmed cancelled, ${r.filled} filled meanwhile, ${r.pending.length} still pending (retried)`)
            setAsking(false)
            setBusy(false)
            setReason('')
            onDone()
          },
          (error: unknown) => {
            reportError(error)
            setBusy(false)
          },
        )
      })}
      onKeyDown={(e) => {
        if (e.key === 'Escape') setAsking(false)
      }}
    >
      <label>
        Reason <input name="reason" value={reason} required autoFocus onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="submit" class="btn danger small" disabled={busy || reason.trim() === ''}>
        Confirm cancel all
      </button>
      <button type="button" class="btn ghost small" onClick={() => setAsking(false)}>
        Keep them
      </button>
    </form>
  )
}

type Kind = 'market' | 'limit' | 'stop' | 'stop-limit'

/** The manual order ticket: market, limit, stop (market when the trigger trades) and stop-limit. */
export function OrderTicket({ venues, onPlaced }: { venues: readonly string[]; onPlaced: () => void }): JSX.Element {
  const [venue, setVenue] = useState(venues[0] ?? '')
  const [symbol, setSymbol] = useState('')
  const [side, setSide] = useState<'buy' | 'sell'>('buy')
  const [kind, setKind] = useState<Kind>('limit')
  const [amount, setAmount] = useState('')
  const [price, setPrice] = useState('')
  const [trigger, setTrigger] = useState('')
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const limit = kind === 'limit' || kind === 'stop-limit'
  const stop = kind === 'stop' || kind === 'stop-limit'
  const submit = async (): Promise<void> => {
    setBusy(true)
    setResult(undefined)
    try {
      const body = {
        reason: reason.trim(),
        venue: venue || venues[0] || '',
        symbol: symbol.trim(),
        side,
        type: limit ? 'limit' : 'market',
        amount: amount.trim(),
        ...(limit ? { price: price.trim() } : {}),
        ...(stop ? { triggerPrice: trigger.trim() } : {}),
      }
      const r = await api<{ clientOrderId: string; state: string }>('/orders', { method: 'POST', body })
      setResult({ ok: true, text: `Sent: ${r.clientOrderId} (${r.state})` })
      onPlaced()
    } catch (error) {
      // A denial is the answer to show here, in full (the risk check's code and reason).
      setResult({ ok: false, text: error instanceof ApiFailure ? error.message : String(error) })
      if (!(error instanceof ApiFailure) || error.status !== 409) reportError(error)
    }
    setBusy(false)
  }
  return (
    <form class="ticket" data-testid="order-ticket" onSubmit={onSubmitDo(submit)}>
      <label>
        Venue{' '}
        <select name="venue" value={venue || venues[0]} onChange={(e) => setVenue(e.currentTarget.value)}>
          {venues.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label>
        Symbol <input name="symbol" value={symbol} required placeholder="BTC/USDT" onInput={(e) => setSymbol(e.currentTarget.value)} />
      </label>
      <label>
        Side{' '}
        <select name="side" value={side} onChange={(e) => setSide(e.currentTarget.value as 'buy' | 'sell')}>
          <option value="buy">buy</option>
          <option value="sell">sell</option>
        </select>
      </label>
      <label>
        Type{' '}
        <select name="type" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
          <option value="market">market</option>
          <option value="limit">limit</option>
          <option value="stop">stop (market)</option>
          <option value="stop-limit">stop-limit</option>
        </select>
      </label>
      <label>
        Amount <input name="amount" value={amount} required inputMode="decimal" onInput={(e) => setAmount(e.currentTarget.value)} />
      </label>
      {limit ? (
        <label>
          Limit price <input name="price" value={price} required inputMode="decimal" onInput={(e) => setPrice(e.currentTarget.value)} />
        </label>
      ) : null}
      {stop ? (
        <label>
          Trigger price <input name="trigger" value={trigger} required inputMode="decimal" onInput={(e) => setTrigger(e.currentTarget.value)} />
        </label>
      ) : null}
      <label>
        Reason <input name="reason" value={reason} required onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="submit" class="btn primary" disabled={busy || reason.trim() === ''}>
        {busy ? 'Sending…' : `Send ${side}`}
      </button>
      <span role="status" aria-live="polite" class={`small ${result?.ok === false ? 'err' : ''}`} data-testid="ticket-result">
        {result?.text ?? 'Checked by the same pre-trade risk checks as a strategy’s orders (strategy id manual).'}
      </span>
    </form>
  )
}
