import { Injectable, UnsupportedMediaTypeException, type NestMiddleware } from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import { ValidationProblem } from './problem-details.filter';

/** Request bodies are small JSON documents; anything larger is refused, never truncated. */
export const MAX_BODY_BYTES = 64 * 1024;

const parse = json({ limit: MAX_BODY_BYTES, type: ['application/json', 'application/*+json'], strict: true });

/**
 * JSON body parsing as Nest middleware, so a malformed or oversized body becomes a
 * problem+json 400 through the exception filter like every other error.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const type = req.headers['content-type'] ?? '';
    if (hasBody && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
      next(new UnsupportedMediaTypeException('request bodies must be application/json'));
      return;
    }
    parse(req, res, (error?: unknown) => {
      if (!error) {
        const field = fieldWithNul(req.body);
        // PostgreSQL's text and jsonb cannot hold U+0000: refused here, not a 500 at the insert.
        return next(field === undefined ? undefined : new ValidationProblem([{ field, problem: 'must not contain the NUL character (U+0000)' }]));
      }
      const e = error as { type?: string };
      // A 400 that names the body, like every other validation failure of the API.
      if (e.type === 'entity.too.large') return next(new ValidationProblem([{ field: '(body)', problem: `larger than ${MAX_BODY_BYTES} bytes` }]));
      next(new ValidationProblem([{ field: '(body)', problem: 'malformed JSON' }]));
    });
  }
}

/**
 * The path of the first string (value or key) in a parsed body that contains U+0000. A loop,
 * not recursion: 64 KiB of `[` nests deeper than the call stack goes.
 */
export function fieldWithNul(body: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[body, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [value, path] = next;
    if (typeof value === 'string' && value.includes('\u0000')) return path || '(body)';
    if (value === null || typeof value !== 'object') continue;
    for (const [key, item] of Object.entries(value).reverse()) {
      const itemPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return itemPath;
      stack.push([item, itemPath]);
    }
  }
  return undefined;
}
