import { getMetadataStorage } from 'class-validator';

/**
 * class-validator (0.15) answers `getTargetValidationMetadatas(target, ...)` by walking every class that carries
 * validation decorators, with an `instanceof` test on each, to find the target's inherited rules: on every
 * validation, for every nested object, from Nest's ValidationPipe twice per body (its nested-binary check and the
 * validation itself) and from the gateway's `validateSync` per socket event. With Tether's few hundred DTO classes
 * that walk was most of class-validator's time on the hot path (bench/README.md, sessions 14 and 16; upstream:
 * typestack/class-validator#2686, open). A target's rules only change when decorators register more of them, at class
 * definition, so this memoises the answer per target and arguments, and forgets every answer whenever anything is
 * registered: exactly the library's answers, computed once.
 *
 * `groupByPropertyName` (the executor's next call, on that answer) is memoised on the answer's identity. Both results
 * are shared between callers; class-validator and Nest only read them.
 */
type MetadataStorage = ReturnType<typeof getMetadataStorage>;
type TargetMetadatas = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;
type Grouped = ReturnType<MetadataStorage['groupByPropertyName']>;

const INSTALLED = Symbol.for('tether.validationMetadataCache');

interface Cached {
  [INSTALLED]?: true;
}

/** Installs the memo on class-validator's global metadata storage (once per storage; later calls do nothing). */
export function cacheValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  const marked = storage as MetadataStorage & Cached;
  if (marked[INSTALLED]) return;
  marked[INSTALLED] = true;

  let byTarget = new WeakMap<object, Map<string, TargetMetadatas>>();
  let grouped = new WeakMap<TargetMetadatas, Grouped>();
  const forget = () => {
    byTarget = new WeakMap();
    grouped = new WeakMap();
  };

  const uncachedTargets = storage.getTargetValidationMetadatas.bind(storage);
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    // a schema's name (string targets) is not a WeakMap key; those are rare and not on the hot path
    if (typeof target !== 'function') return uncachedTargets(target, schema, always, strictGroups, groups);
    const key = `${schema ?? ''}\u0000${always}\u0000${strictGroups}\u0000${groups ? JSON.stringify(groups) : ''}`;
    let answers = byTarget.get(target);
    if (!answers) byTarget.set(target, (answers = new Map<string, TargetMetadatas>()));
    let answer = answers.get(key);
    if (!answer) answers.set(key, (answer = uncachedTargets(target, schema, always, strictGroups, groups)));
    return answer;
  };

  const uncachedGroup = storage.groupByPropertyName.bind(storage);
  storage.groupByPropertyName = (metadata) => {
    let answer = grouped.get(metadata);
    if (!answer) grouped.set(metadata, (answer = uncachedGroup(metadata)));
    return answer;
  };

  // anything registered may change a target's answer (a subclass defined later is a new target; a decorator added
  // to an existing class by registerDecorator is not): forget them all
  const registerRule = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    forget();
    registerRule(metadata);
  };
  const registerConstraint = storage.addConstraintMetadata.bind(storage);
  storage.addConstraintMetadata = (metadata) => {
    forget();
    registerConstraint(metadata);
  };
  const registerSchema = storage.addValidationSchema.bind(storage);
  storage.addValidationSchema = (schema) => {
    forget();
    registerSchema(schema);
  };
}
