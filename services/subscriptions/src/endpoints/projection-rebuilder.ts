import type { DataSource } from 'typeorm';
import { EndpointEventEntity } from './endpoint-event.entity';
import { EndpointEntity } from './endpoint.entity';
import { projectEvent } from './endpoint-projector';

const PAGE = 500;

/**
 * Rebuilds the `endpoints` read model from the event store, in one transaction: writers wait
 * on the table lock, and readers see the old projection until the new one commits.
 */
export async function rebuildProjection(dataSource: DataSource): Promise<{ events: number; endpoints: number }> {
  return dataSource.transaction(async (manager) => {
    await manager.query('LOCK TABLE endpoints IN ACCESS EXCLUSIVE MODE');
    await manager.query('DELETE FROM endpoints');
    let events = 0;
    let after = '0';
    for (;;) {
      const page = await manager
        .createQueryBuilder(EndpointEventEntity, 'e')
        .where('e.position > :after', { after })
        .orderBy('e.position', 'ASC')
        .limit(PAGE)
        .getMany();
      for (const row of page) await projectEvent(manager, row.event);
      events += page.length;
      if (page.length < PAGE) break;
      after = page.at(-1)!.position;
    }
    return { events, endpoints: await manager.count(EndpointEntity) };
  });
}
