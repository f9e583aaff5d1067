/** Nest's lifecycle hooks: an app's init and close call them on every provider instance its container holds. */
const LIFECYCLE_HOOKS: ReadonlySet<PropertyKey> = new Set([
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

type Method = (...args: unknown[]) => unknown;

/**
 * The same instance as seen by a Nest container that does not own it: every member but the lifecycle hooks. Nest
 * calls the hooks of value providers too, so an app handed the core's scheduler as is would start a second poll
 * loop at its init and stop the core's at its close. Methods run on the instance itself (`this` is the instance,
 * so its state is the one state); `instanceof` still holds. An instance without hooks is returned as is.
 */
export function withoutLifecycleHooks<T extends object>(instance: T): T {
  const hooked = [...LIFECYCLE_HOOKS].some((hook) => typeof Reflect.get(instance, hook) === 'function');
  if (!hooked) return instance;
  return new Proxy(instance, {
    get: (target, key) => {
      if (LIFECYCLE_HOOKS.has(key)) return undefined;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' && key !== 'constructor' ? (value as Method).bind(target) : value;
    },
    has: (target, key) => !LIFECYCLE_HOOKS.has(key) && Reflect.has(target, key),
  });
}
