import 'reflect-metadata';
import {
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { withoutLifecycleHooks } from './lifecycle-free';

@Injectable()
class Poller implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  readonly calls: string[] = [];
  private ticks = 0;

  onModuleInit(): void {
    this.calls.push('init');
  }
  onApplicationBootstrap(): void {
    this.calls.push('bootstrap');
  }
  onApplicationShutdown(): void {
    this.calls.push('shutdown');
  }
  tick(): number {
    return ++this.ticks;
  }
  get count(): number {
    return this.ticks;
  }
}

@Module({ providers: [Poller] })
class OwnerModule {}

describe('withoutLifecycleHooks', () => {
  it('lets another Nest container use an instance without running its lifecycle hooks', async () => {
    const owner = await NestFactory.createApplicationContext(OwnerModule, { logger: false });
    const poller = owner.get(Poller);

    @Module({ providers: [{ provide: Poller, useValue: withoutLifecycleHooks(poller) }] })
    class GuestModule {}
    const guest = await NestFactory.createApplicationContext(GuestModule, { logger: false });
    const seen = guest.get(Poller);
    expect(seen).toBeInstanceOf(Poller);
    expect(seen.tick()).toBe(1);
    expect(seen.count).toBe(1);
    await guest.close();

    expect(poller.count).toBe(1); // one state
    expect(poller.calls).toEqual(['init', 'bootstrap']); // the guest neither re-ran nor stopped it
    await owner.close();
    expect(poller.calls).toEqual(['init', 'bootstrap', 'shutdown']);
  });

  it('is needed: Nest runs the hooks of a value provider it was handed', async () => {
    const poller = new Poller();
    @Module({ providers: [{ provide: Poller, useValue: poller }] })
    class GuestModule {}
    const guest = await NestFactory.createApplicationContext(GuestModule, { logger: false });
    await guest.close();
    expect(poller.calls).toEqual(['init', 'bootstrap', 'shutdown']);
  });

  it('returns an instance without hooks as it is', () => {
    const plain = { query: () => 1 };
    expect(withoutLifecycleHooks(plain)).toBe(plain);
  });
});
