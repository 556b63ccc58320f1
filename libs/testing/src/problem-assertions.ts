import assert from 'node:assert/strict';
import type { ApiAnswer } from './tidings-stack';

/** The management API's RFC 9457 problem document (PRODUCT: `message` mirrors `detail`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  message: string;
  errors?: { field: string; problem: string }[];
}

/**
 * Asserts `answer` is a problem+json of `status`; with `field`, that one of its errors names the
 * field (and matches `pattern`, if given); with only `pattern`, that the detail matches it.
 */
export function assertProblem(answer: ApiAnswer, status: number, field?: string, pattern?: RegExp): Problem {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.match(answer.contentType ?? '', /^application\/problem\+json/);
  const problem = answer.body as Problem;
  assert.equal(problem.status, status);
  assert.equal(problem.message, problem.detail);
  if (field) assert.ok(problem.errors?.some((e) => e.field === field && (!pattern || pattern.test(e.problem))), JSON.stringify(problem.errors));
  else if (pattern) assert.match(problem.detail, pattern);
  return problem;
}
