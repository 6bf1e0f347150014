import { Inject } from '@nestjs/common';
import { getCacheToken } from '../cache.tokens';
import { requestInjection } from './namespace-requests';

/**
 * Injects the `NamespaceCache` named `name`, registered with `CacheModule.forRoot({ namespaces })`
 * or `CacheModule.forFeature([...])`. A name the injecting module cannot see fails the start with
 * `UndeclaredNamespaceError`, naming the namespace and the declared ones.
 */
export const InjectCache =
  (name: string): PropertyDecorator & ParameterDecorator =>
  (target: object, key: string | symbol | undefined, index?: number) => {
    const inject = Inject(getCacheToken(name));
    if (index === undefined) inject(target, key as string | symbol);
    else inject(target, key, index);
    requestInjection(target, name, key);
  };
