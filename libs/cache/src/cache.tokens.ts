/**
 * The injection token of namespace `name`: the one token factory, used by `forFeature`,
 * `@InjectCache` and tests (`moduleRef.get(getCacheToken('session'))`).
 */
export function getCacheToken(name: string): string {
  return `CacheNamespace(${name})`;
}
