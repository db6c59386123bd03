/** A command-line mistake of `fc-container emulate`: one line and exit code 2. */
export class UsageError extends Error {}
