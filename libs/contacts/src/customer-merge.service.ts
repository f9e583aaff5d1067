import { Injectable } from '@nestjs/common';
import { Customer, CustomerRepository } from '@tether/customers';
import { Line } from '@tether/routing';
import { LineRoutingRepository } from './line-routing.repository';

/**
 * Merging customers where routing keeps customer ids: the merge moves the history (libs/customers), and in the same
 * transaction every line's never-match pairs naming the merged-away customer name the survivor instead (a new rules
 * version by the merging admin), so an agent who must never get this person still never does.
 */
@Injectable()
export class CustomerMergeService {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly routing: LineRoutingRepository,
  ) {}

  async merge(intoId: string, fromId: string, author: string): Promise<Customer> {
    let changed: Line[] = [];
    const merged = await this.customers.merge(intoId, fromId, async (tx) => {
      changed = await this.routing.replaceNeverMatchCustomer(tx, fromId, intoId, author);
    });
    // this process reads the new version at once; the others when the database says theirs is stale
    this.routing.forget(changed);
    return merged;
  }
}
