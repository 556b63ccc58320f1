// Imported before anything else by each service's instrumentation.ts, for its side effect.
import { getSourceMapsSupport, setSourceMapsSupport } from 'node:module';

/**
 * The image runs Node with --enable-source-maps so that stack traces name TypeScript lines.
 * That flag also loads every dependency's source maps, and some ship their whole TypeScript
 * sources in them (typeorm's): 11.7 MiB of each service's old generation (issue 16; the
 * publisher's module graph loaded with and without, after a full GC). Our own maps stay.
 */
if (getSourceMapsSupport().enabled) setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });
