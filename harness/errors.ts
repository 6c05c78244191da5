// The two errors a run can end in before any verdict: both are exit status 2,
// with a one-line reason.

/** The target could not be reached or started. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The options ask for something impossible (no scenario selected, exclusive options). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
