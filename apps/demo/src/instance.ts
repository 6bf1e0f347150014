import { hostname } from 'node:os';

/** This instance's name in logs and job results: `INSTANCE_NAME`, else host and port. */
export function instanceName(): string {
  return process.env.INSTANCE_NAME || `${hostname()}:${process.env.PORT ?? 3000}`;
}
