import 'reflect-metadata';
import { Command } from 'commander';
import { loadConfigOrExit, loadDatabaseConfig } from '@tidings/config';
import { DataSource } from 'typeorm';
import { ApiKeyEntity } from '../api-keys/api-key.entity';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { dataSourceOptions } from '../database/data-source-options';
import { ADVISORY_LOCKS, runMigrations } from '@tidings/database';
import { rebuildProjection } from '../endpoints/projection-rebuilder';

/**
 * `npm run tidings -- <command>`: operator commands against the subscriptions database
 * (DATABASE_URL). Results go to stdout and nothing else does, so `$(npm run -s tidings -- keys
 * create …)` captures just the key; progress and errors go to stderr.
 */
async function withDatabase<T>(action: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const database = loadConfigOrExit(() => loadDatabaseConfig(process.env));
  const dataSource = await new DataSource(dataSourceOptions(database)).initialize();
  try {
    await runMigrations(dataSource, ADVISORY_LOCKS.subscriptionsMigrations);
    return await action(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

const withApiKeys = <T>(action: (keys: ApiKeysService) => Promise<T>): Promise<T> =>
  withDatabase((dataSource) => action(new ApiKeysService(dataSource.getRepository(ApiKeyEntity))));

const program = new Command('tidings').description('Tidings operator CLI').showHelpAfterError();
const keys = program.command('keys').description('API keys for the management API, each scoped to one tailnet');

keys
  .command('create')
  .description('mint an API key and print it (shown once; only its hash is stored)')
  .requiredOption('--tailnet <tailnet>', 'the tailnet the key may manage')
  .requiredOption('--login <login>', 'login name recorded as the actor of changes made with the key')
  .action(async (options: { tailnet: string; login: string }) => {
    const { id, key } = await withApiKeys((k) => k.create(options.tailnet, options.login));
    process.stderr.write(`created API key ${id} for tailnet ${options.tailnet}\n`);
    process.stdout.write(`${key}\n`);
  });

keys
  .command('list')
  .description('list API keys (ids and owners, never the keys)')
  .action(async () => {
    const all = await withApiKeys((k) => k.list());
    for (const k of all) {
      process.stdout.write(`${k.id}\t${k.tailnet}\t${k.loginName}\t${k.createdAt.toISOString()}\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}\n`);
    }
  });

keys
  .command('revoke <id>')
  .description('revoke an API key by id')
  .action(async (id: string) => {
    const revoked = await withApiKeys((k) => k.revoke(id));
    if (!revoked) {
      process.stderr.write(`no active API key with id ${id}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${id}\n`);
  });

program
  .command('projection')
  .description('the endpoints read model')
  .command('rebuild')
  .description('rebuild the endpoints table from the event store')
  .action(async () => {
    const { events, endpoints } = await withDatabase(rebuildProjection);
    process.stdout.write(`replayed ${events} events into ${endpoints} endpoints\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`tidings: ${(error as Error).message}\n`);
  process.exit(1);
});
