import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from '@tidings/telemetry';

/** A field-level problem, for 400s. */
export interface FieldProblem {
  field: string;
  problem: string;
}

/** A 400 that names the offending fields. */
export class ValidationProblem extends HttpException {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.problem}`).join('; '), HttpStatus.BAD_REQUEST);
  }
}

/**
 * Every error leaves as `application/problem+json` (RFC 9457), with `message` too, as
 * Tailscale's API clients read it. Unexpected errors are logged and answered 500 without detail.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let detail = 'internal error';
    let extra: Record<string, unknown> = {};

    if (error instanceof HttpException) {
      status = error.getStatus();
      const body = error.getResponse();
      detail = typeof body === 'string' ? body : ((body as { message?: string | string[] }).message?.toString() ?? error.message);
      if (error instanceof ValidationProblem) extra = { errors: error.problems };
    } else {
      this.logger.error({ err: error, path: request.path }, 'unhandled error');
    }

    response
      .status(status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: (HttpStatus[status] ?? 'Error').toString().replaceAll('_', ' ').toLowerCase(),
        status,
        detail,
        message: detail,
        instance: request.originalUrl,
        ...extra,
      });
  }
}
