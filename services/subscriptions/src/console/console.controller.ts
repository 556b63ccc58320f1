import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

/** dist/console, beside dist/services: what build.mjs bundles from apps/console. */
const CONSOLE_DIR = join(__dirname, '..', '..', '..', '..', 'console');

/** The injection token of CONSOLE_FRAME_ANCESTORS' value. */
export const CONSOLE_FRAME_ANCESTORS = Symbol('CONSOLE_FRAME_ANCESTORS');

const FILES: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/**
 * The console, same origin as the API: its page, script and stylesheet, read once. The policy
 * allows nothing from elsewhere; `frameAncestors` (CONSOLE_FRAME_ANCESTORS) names who may embed it.
 */
@Controller('console')
export class ConsoleController {
  private readonly files = new Map<string, Buffer>();
  private readonly policy: string;

  constructor(@Inject(CONSOLE_FRAME_ANCESTORS) frameAncestors: string) {
    // Without a built console (a partial build) the API still serves; /console answers 404.
    for (const name of ['index.html', ...Object.keys(FILES)]) if (existsSync(join(CONSOLE_DIR, name))) this.files.set(name, readFileSync(join(CONSOLE_DIR, name)));
    this.policy = `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors ${frameAncestors}`;
  }

  @Get()
  @Header('cache-control', 'no-store')
  page(@Res() res: Response): void {
    this.send(res, 'index.html', 'text/html; charset=utf-8');
  }

  @Get(':file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    const type = FILES[file];
    if (!type) throw new NotFoundException(`no console file ${file}`);
    this.send(res, file, type);
  }

  private send(res: Response, name: string, type: string): void {
    if (!this.files.has(name)) throw new NotFoundException('the console is not built into this installation (npm run build bundles it into dist/console)');
    res
      .status(200)
      .set({ 'content-type': type, 'content-security-policy': this.policy, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' })
      .send(this.files.get(name));
  }
}
