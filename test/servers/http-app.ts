import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How to start an app with `startHttpApp`. */
export interface HttpAppOptions<Instance> {
  /** The platform's adapter (e.g. a `FastifyAdapter`); Express when absent. */
  readonly adapter?: AbstractHttpAdapter;
  /** Called with the platform's own instance (Express or Fastify) before the app listens. */
  readonly configure?: (instance: Instance) => void;
  /** Called with the app before it listens (to enable versioning, say). */
  readonly prepare?: (app: INestApplication) => void;
}

/**
 * A Nest app of `module`, listening on a port of 127.0.0.1 it keeps for its whole life (the Host
 * header is part of every route-cache key). Its logger is off; closing it ends open connections.
 */
export async function startHttpApp<Instance = unknown>(
  module: Type<unknown> | DynamicModule,
  { adapter, configure, prepare }: HttpAppOptions<Instance> = {},
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const options = { logger: false as const, forceCloseConnections: true };
  const app = adapter
    ? moduleRef.createNestApplication(adapter, options)
    : moduleRef.createNestApplication(options);
  configure?.(app.getHttpAdapter().getInstance() as Instance);
  prepare?.(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** A response as it came over the wire. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body bytes, as latin1 text (one char per byte, so any byte difference shows). */
  readonly bytes: string;
}

/** What `rawRequest` sends besides the path. */
export interface RawRequestOptions {
  /** @default 'GET' */
  readonly method?: string;
  /** Headers to send; a `host` here replaces the app's own address. */
  readonly headers?: Record<string, string>;
}

/**
 * One request exactly as given: no client rewrites the target or the Host, and the response is
 * read to its last byte.
 */
export function rawRequest(
  app: INestApplication,
  path: string,
  { method = 'GET', headers = {} }: RawRequestOptions = {},
): Promise<RawResponse> {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            bytes: Buffer.concat(chunks).toString('latin1'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The body of a raw response read as UTF-8 text. */
export function utf8Text(response: RawResponse): string {
  return Buffer.from(response.bytes, 'latin1').toString('utf8');
}
