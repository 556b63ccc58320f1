import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Principal } from '../api-keys/api-keys.service';
import { EndpointEntity } from './endpoint.entity';

/** The read side: answers from the projection, scoped to the caller's tailnet. */
@Injectable()
export class EndpointQueriesService {
  constructor(@InjectRepository(EndpointEntity) private readonly endpoints: Repository<EndpointEntity>) {}

  list(principal: Principal): Promise<EndpointEntity[]> {
    return this.endpoints.find({ where: { tailnet: principal.tailnet }, order: { created: 'ASC' } });
  }

  async get(principal: Principal, endpointId: string): Promise<EndpointEntity> {
    const found = isUuid(endpointId) ? await this.endpoints.findOneBy({ endpointId }) : null;
    if (!found || found.tailnet !== principal.tailnet) throw new NotFoundException(`webhook ${endpointId} not found`);
    return found;
  }
}

export const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
