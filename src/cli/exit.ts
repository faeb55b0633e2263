/**
 * @module cli/exit
 * Exit codes and the one place that turns errors into them: 0 success, 1 a check found a problem (or an
 * unexpected failure), 2 bad usage or bad input with one line saying what and where.
 */
import { InputError } from '../model/index.js'

export const EXIT_OK = 0
export const EXIT_PROBLEM = 1
export const EXIT_USAGE = 2

/** Prints one line for the error and returns the exit code it deserves. */
export function reportError(error: unknown): number {
  if (error instanceof InputError) {
    process.stderr.write(`sofia: ${error.message}\n`)
    return EXIT_USAGE
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  process.stderr.write(`sofia: ${message}\n`)
  if (process.env['SOFIA_DEBUG'] && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  return EXIT_PROBLEM
}
