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
      if (!error) return next();
      const e = error as { type?: string };
      // A 400 that names the body, like every other validation failure of the API.
      if (e.type === 'entity.too.large') return next(new ValidationProblem([{ field: '(body)', problem: `larger than ${MAX_BODY_BYTES} bytes` }]));
      next(new ValidationProblem([{ field: '(body)', problem: 'malformed JSON' }]));
    });
  }
}
