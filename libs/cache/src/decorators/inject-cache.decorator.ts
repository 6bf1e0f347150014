import { Inject } from '@nestjs/common';
import { getCacheToken } from '../cache.tokens';

/**
 * Injects the `NamespaceCache` named `name`, registered with `CacheModule.forRoot({ namespaces })`
 * or `CacheModule.forFeature([...])`.
 */
export const InjectCache = (name: string): PropertyDecorator & ParameterDecorator =>
  Inject(getCacheToken(name));
