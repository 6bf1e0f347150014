import { asError } from '../errors/as-error';
import { Inject, Logger, Optional } from '@nestjs/common';
import { CacheService } from '../cache.service';
import { CacheError, InvalidOptionError } from '../errors/cache.error';
import type { NamespaceCache } from '../namespace/namespace-cache';
import { requestNamespace } from './namespace-requests';

/** The property through which Nest hands each decorated instance its app's `CacheService`. */
const CACHE_SERVICE = Symbol('cache:service');
const injected = new WeakSet<object>();

/** Logs faults of decorated methods; they never fail the call. */
export const methodCacheLogger = new Logger('CacheDecorators');

/** A decorated method was called where no CacheModule reached its instance. */
export class CacheNotReadyError extends CacheError {
  constructor(where: string, decorator: string) {
    super(
      `${where} is decorated with @${decorator}, but no CacheService reached this instance`,
      'E_CACHE_NOT_READY',
      'import CacheModule.forRoot() in the application, and do not call the method before the module is initialized (e.g. from a constructor)',
    );
  }
}

/** What a wrapping decorator does around one call. */
export type MethodCacheRun = (
  namespace: NamespaceCache<unknown>,
  call: () => Promise<unknown>,
  args: unknown[],
  where: { readonly className: string; readonly method: string },
) => Promise<unknown>;

/**
 * Builds a method decorator that wraps the method with `run`, once `check` passed its options
 * (so a malformed one fails when the class is defined, not as a warning on every call). The
 * class gets an optional property injection of `CacheService` (so each Nest application finds
 * its own), the method must be declared to return a Promise (checked when the class is defined),
 * and the wrapper keeps the method's name and every metadata other decorators put on it.
 */
export function wrappingDecorator(
  decorator: string,
  namespace: unknown,
  run: MethodCacheRun,
  /** Checks the decorator's options once, when the class is defined; `path` names them. */
  check?: (path: string) => void,
): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const className = (target as { constructor: { name: string } }).constructor.name;
    const method = String(propertyKey);
    const where = `${className}.${method}`;
    if (typeof namespace !== 'string' || namespace.length === 0) {
      throw new InvalidOptionError(`${where}: @${decorator} needs a namespace`);
    }
    check?.(`${where} (@${decorator})`);
    const original = descriptor.value as unknown;
    if (typeof original !== 'function')
      throw new InvalidOptionError(`${where}: @${decorator} decorates methods only`);
    const declared = Reflect.getMetadata('design:returntype', target, propertyKey) as
      { name?: string } | undefined;
    if (declared !== undefined && declared !== Promise) {
      throw new InvalidOptionError(
        `${where}: @${decorator} needs a method declared to return a Promise, not ${declared?.name ?? typeof declared}`,
        'make it async or declare Promise<...> as its return type',
      );
    }
    injectCacheService(target);
    requestNamespace(target.constructor, { namespace, by: `${where} (@${decorator})` });
    const wrapped = function (
      this: Record<symbol, unknown> | undefined,
      ...args: unknown[]
    ): Promise<unknown> {
      const service = this?.[CACHE_SERVICE];
      if (!(service instanceof CacheService))
        return Promise.reject(new CacheNotReadyError(where, decorator));
      const call = (): Promise<unknown> =>
        Promise.resolve((original as (...a: unknown[]) => unknown).apply(this, args));
      // The class that was called, not the one that declared the method: subclasses differ.
      const calledOn = (this?.constructor as { name?: string } | undefined)?.name ?? className;
      try {
        return run(service.namespace(namespace), call, args, { className: calledOn, method });
      } catch (error) {
        return Promise.reject(asError(error));
      }
    };
    for (const key of Reflect.getMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
    }
    Object.defineProperty(wrapped, 'name', { value: (original as { name: string }).name });
    descriptor.value = wrapped as typeof descriptor.value;
    return descriptor;
  };
}

function injectCacheService(prototype: object): void {
  if (injected.has(prototype)) return;
  injected.add(prototype);
  Inject(CacheService)(prototype, CACHE_SERVICE);
  Optional()(prototype, CACHE_SERVICE);
}
