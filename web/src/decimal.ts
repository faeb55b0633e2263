// Decimal strings for display: the API's exact decimals, shortened on their digits, never through a float.

/**
 * Rounds a decimal string to at most `places` fraction digits, half away from zero, with integer arithmetic
 * on the digits (no float): `2993.81333…` → `2993.81333333`. Anything that is not a plain decimal is returned as is.
 */
export function roundDecimal(text: string, places: number): string {
  const m = /^(-?)(\d+)\.(\d+)$/.exec(text)
  if (m === null || (m[3] ?? '').length <= places) return text
  const [, sign = '', int = '0', frac = ''] = m
  let digits = BigInt(int + frac.slice(0, places))
  if (Number(frac[places] ?? '0') >= 5) digits += 1n
  let out = digits.toString().padStart(places + 1, '0')
  if (places > 0) out = `${out.slice(0, -places)}.${out.slice(-places)}`.replace(/\.?0+$/, '')
  return out === '0' ? out : `${sign}${out}`
}


/**
 * A plain decimal string with its integer digits grouped by thousands (`-1234567.5` → `-1,234,567.5`); the
 * fraction is left alone. Anything else is returned as is.
 */
export function groupThousands(text: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(text)
  if (m === null) return text
  const [, sign = '', int = '', frac = ''] = m
  return `${sign}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac}`
}
