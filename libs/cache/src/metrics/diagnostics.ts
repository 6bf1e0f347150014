import { channel } from 'node:diagnostics_channel';

/** Published around each loader call: `{ namespace, key, durationMs, error? }`. */
export const LOADER_CHANNEL = 'nest-tiered-cache:loader';
/** Published after each call to a shared tier: `{ namespace, tier, operation, key?, durationMs, error? }`. */
export const TIER_CHANNEL = 'nest-tiered-cache:tier';

/**
 * `diagnostics_channel` channels for tracers (OpenTelemetry instrumentations subscribe to them):
 * nothing is measured or built unless someone subscribes.
 */
export const diagnostics = {
  loader: channel(LOADER_CHANNEL),
  tier: channel(TIER_CHANNEL),
};
