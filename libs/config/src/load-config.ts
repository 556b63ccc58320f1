import { z } from 'zod';
import { ConfigError } from './config-error';

export type Env = Record<string, string | undefined>;

/**
 * Validates the environment against a flat schema keyed by variable name and returns the
 * parsed values. Every broken variable is reported at once, by name, with its rule.
 * An empty string counts as unset, as it does in most deployment tools.
 */
export function parseEnv<S extends z.ZodRawShape>(shape: S, env: Env): z.output<z.ZodObject<S>> {
  const present = Object.fromEntries(
    Object.keys(shape)
      .map((name) => [name, env[name]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      // Asked of the environment, not of the issue: zod reports a fraction for an int as
      // invalid_type without its input, which read as "not set" for LANES_MAX_PENDING_RECORDS=7.5.
      const missing = issue.code === 'invalid_type' && present[variable] === undefined;
      return { variable, rule: missing ? 'is required but not set' : issue.message };
    }),
  );
}

/**
 * Runs a service's config loader on this process's environment (the config lib is the one
 * place production code reads `process.env`, lint enforces it); on a ConfigError prints the
 * problems and exits with status 78 (EX_CONFIG), so an orchestrator shows a clear reason
 * instead of a stack trace.
 */
export function loadConfigOrExit<T>(load: (env: Env) => T): T {
  try {
    return load(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/**
 * Runs several section loaders and returns their results by name. Problems from every section
 * are reported together, so one boot shows everything that is wrong, not the first thing.
 */
export function loadSections<T extends Record<string, () => unknown>>(sections: T): { [K in keyof T]: ReturnType<T[K]> } {
  const result: Record<string, unknown> = {};
  const problems: ConfigError['problems'] = [];
  for (const [name, load] of Object.entries(sections)) {
    try {
      result[name] = load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as { [K in keyof T]: ReturnType<T[K]> };
}
