import { QueryFailedError } from 'typeorm';

/**
 * True when Postgres refused the values themselves (SQLSTATE class 22, data exception: a bad
 * uuid, an out-of-range integer; class 23, a violated constraint). Retrying such a write fails
 * the same way every time, so a consumer skips the record instead of looping on it; any other
 * error (connection lost, shutdown) is worth retrying.
 */
export function isRejectedValue(error: unknown): error is QueryFailedError {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string }).code ?? '';
  return code.startsWith('22') || code.startsWith('23');
}
