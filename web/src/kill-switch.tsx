// The kill switch lever: ask for a reason, confirm, call the API, and say what happened (aria-live).
import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiFailure, api } from './api'
import { reportError } from './toasts'
import { Time, onSubmitDo } from './ui'

interface KsState {
  readonly active: boolean
  readonly trigger: string | null
  readonly reason: string | null
  readonly actor: string | null
  readonly since: number | null
}

interface KsAnswer {
  readonly changed: boolean
  readonly state: KsState
  readonly openOrders: number
}

type Step = { kind: 'idle' } | { kind: 'reason' } | { kind: 'confirm'; reason: string } | { kind: 'sending'; reason: string }

export function KillSwitchControl({ state, canOperate, onChanged }: { state: KsState | undefined; canOperate: boolean; onChanged: () => void }): JSX.Element {
  const active = state?.active === true
  const [step, setStep] = useState<Step>({ kind: 'idle' })
  const [reason, setReason] = useState('')
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  const input = useRef<HTMLTextAreaElement>(null)
  const confirmButton = useRef<HTMLButtonElement>(null)
  const lever = useRef<HTMLButtonElement>(null)
  const action = active ? 'deactivate' : 'activate'
  // Focus follows the steps: the reason, then the confirmation's button, then back to the lever.
  const previous = useRef<Step['kind']>('idle')
  useEffect(() => {
    if (step.kind === 'confirm') confirmButton.current?.focus()
    else if (step.kind === 'idle' && previous.current !== 'idle') lever.current?.focus()
    previous.current = step.kind
  }, [step.kind])
  /** Escape cancels the reason form and the confirmation. */
  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.preventDefault()
      setStep({ kind: 'idle' })
    }
  }

  const submit = async (r: string): Promise<void> => {
    setStep({ kind: 'sending', reason: r })
    try {
      const a = await api<KsAnswer>(`/kill-switch/${action}`, { method: 'POST', body: { reason: r } })
      setResult({
        ok: true,
        text: a.state.active
          ? `Kill switch ACTIVE${a.changed ? '' : ' (it already was)'}: trading halted by ${a.state.actor ?? '?'}; ${a.openOrders} open orders left.`
          : 'Kill switch deactivated: trading resumed.',
      })
      setReason('')
      onChanged()
    } catch (error) {
      const blockers = error instanceof ApiFailure && Array.isArray(error.extra['blockers']) ? ` Blockers: ${(error.extra['blockers'] as string[]).join('; ')}` : ''
      setResult({ ok: false, text: `${error instanceof ApiFailure ? `${error.status} ${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}.${blockers}` })
      reportError(error)
    }
    setStep({ kind: 'idle' })
  }

  return (
    <div class={`killswitch ${active ? 'is-active' : ''}`} data-testid="kill-switch">
      <div class="ks-state">
        <span class="ks-label">Kill switch</span>
        <strong class="ks-value" data-testid="kill-switch-state">
          {active ? 'ACTIVE — trading halted' : 'inactive'}
        </strong>
        {active && state !== undefined ? (
          <span class="ks-detail">
            {state.trigger ?? 'manual'} by {state.actor ?? '?'}: {state.reason ?? ''} · since <Time ms={state.since} />
          </span>
        ) : null}
      </div>
      {canOperate ? (
        step.kind === 'idle' ? (
          <button
            type="button"
            ref={lever}
            class={active ? 'btn' : 'btn danger big'}
            data-testid={active ? 'deactivate-kill-switch' : 'activate-kill-switch'}
            onClick={() => {
              setResult(null)
              setStep({ kind: 'reason' })
              setTimeout(() => input.current?.focus(), 0)
            }}
          >
            {active ? 'Deactivate kill switch…' : 'Activate kill switch'}
          </button>
        ) : step.kind === 'reason' ? (
          <form
            class="ks-form"
            onKeyDown={onKeyDown}
            onSubmit={onSubmitDo(() => {
              if (reason.trim() !== '') setStep({ kind: 'confirm', reason: reason.trim() })
            })}
          >
            <label for="ks-reason">Reason ({action === 'activate' ? 'why halt trading' : 'why resume'}; recorded in the audit chain)</label>
            <textarea id="ks-reason" ref={input} required maxLength={500} rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
            <div class="row">
              <button type="submit" class="btn danger" disabled={reason.trim() === ''}>
                Continue
              </button>
              <button type="button" class="btn" onClick={() => setStep({ kind: 'idle' })}>
                Cancel
              </button>
            </div>
          </form>
        ) : step.kind === 'confirm' ? (
          <div class="ks-form" role="alertdialog" aria-labelledby="ks-confirm-title" onKeyDown={onKeyDown}>
            <p id="ks-confirm-title">
              <strong>{action === 'activate' ? 'Halt trading and cancel every open order?' : 'Resume trading?'}</strong> Reason: “{step.reason}”
            </p>
            <div class="row">
              <button type="button" ref={confirmButton} class="btn danger" data-testid="confirm-kill-switch" onClick={() => void submit(step.reason)}>
                {action === 'activate' ? 'Confirm: activate kill switch' : 'Confirm: deactivate'}
              </button>
              <button type="button" class="btn" onClick={() => setStep({ kind: 'idle' })}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <p class="muted">sending…</p>
        )
      ) : (
        <p class="muted small">Read-only token: the kill switch is operated with an operator token.</p>
      )}
      <p class={`ks-result ${result === null ? '' : result.ok ? 'ok' : 'err'}`} aria-live="assertive" role="status" data-testid="kill-switch-result">
        {result?.text ?? ''}
      </p>
    </div>
  )
}
