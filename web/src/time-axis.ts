// The equity chart's time axis: whole-second steps, labelled as UTC clock times (with the date past a day).

/** Time-axis steps in seconds: 1 s to a week. */
export const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 14_400, 21_600, 43_200, 86_400, 172_800, 604_800]

/**
 * Labels for axis splits (seconds since the epoch): HH:MM:SS, HH:MM from an hour's span, MM-DD HH:MM from a day's,
 * MM-DD when every split is a UTC midnight.
 */
export function timeAxisLabels(splits: readonly number[]): string[] {
  const span = splits.length > 1 ? splits[splits.length - 1]! - splits[0]! : 0
  // Whole days (a daily chart): the date alone.
  if (span >= 86_400 && splits.every((s) => s % 86_400 === 0)) return splits.map((s) => new Date(s * 1000).toISOString().slice(5, 10))
  return splits.map((s) => {
    const iso = new Date(s * 1000).toISOString()
    return span >= 86_400 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, span >= 3_600 ? 16 : 19)
  })
}
