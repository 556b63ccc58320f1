/**
 * The shape of a `helm test` check: run `attempt` until it passes or the time is up (a pod
 * started just after an install may race the Service's endpoints), print one line saying
 * what was seen, exit 0 or 1. Node built-ins only: these run in the pruned production image.
 */
export function runCheck(what: string, attempt: () => Promise<string>, timeoutMs = 60_000): void {
  const deadline = Date.now() + timeoutMs;
  const loop = async (): Promise<void> => {
    for (;;) {
      try {
        process.stdout.write(`ok: ${what}: ${await attempt()}\n`);
        process.exit(0);
      } catch (error) {
        if (Date.now() > deadline) {
          process.stdout.write(`FAILED: ${what}: ${(error as Error).message}\n`);
          process.exit(1);
        }
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
  };
  void loop();
}

/**
 * A check's configuration comes as command-line arguments from the chart's test pod (no
 * environment to read): the `position`-th (1-based), or `fallback`, or exit 2 saying so.
 */
export function argument(position: number, name: string, fallback?: string): string {
  const value = process.argv[position + 1] ?? fallback;
  if (!value) {
    process.stdout.write(`usage: node ${process.argv[1]} ... <${name}> (argument ${position})\n`);
    process.exit(2);
  }
  return value;
}
