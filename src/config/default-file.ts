/**
 * @module config/default-file
 * The name of the config file looked for when none is named: a module of its own, without imports, so that the
 * CLI can look for the file at start-up without loading the schema.
 */

/** The file looked for in the working directory when none is named. */
export const DEFAULT_CONFIG_FILE = 'sofia.yaml'
