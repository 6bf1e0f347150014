import {
  Controller,
  Get,
  Module,
  UseInterceptors,
  VERSION_NEUTRAL,
  VersioningType,
  type INestApplication,
  type VersioningOptions,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheInterceptor, CacheModule, CacheOptions } from 'nest-tiered-cache';
import { rawRequest, startHttpApp, utf8Text } from './servers/http-app';

/*
 * Nest's header and media-type versioning route one URL to several handlers, chosen by a request
 * header. Each handler's responses are its own: a client asking for one version is never served
 * another version's cached body.
 */
@Controller({ path: 'report', version: '1' })
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages' })
class ReportV1Controller {
  @Get()
  report(): { version: string } {
    return { version: '1' };
  }
}

@Controller({ path: 'report', version: '2' })
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages' })
class ReportV2Controller {
  @Get()
  report(): { version: string } {
    return { version: '2' };
  }
}

@Controller({ path: 'report', version: VERSION_NEUTRAL })
@UseInterceptors(CacheInterceptor)
@CacheOptions({ namespace: 'pages' })
class ReportNeutralController {
  @Get()
  report(): { version: string } {
    return { version: 'neutral' };
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespaces: ['pages'] })],
  controllers: [ReportV1Controller, ReportV2Controller, ReportNeutralController],
})
class VersionedModule {}

const versionings: Array<[string, VersioningOptions, (version: string) => Record<string, string>]> =
  [
    [
      'header',
      { type: VersioningType.HEADER, header: 'X-Api-Version' },
      (v) => ({ 'x-api-version': v }),
    ],
    [
      'media type',
      { type: VersioningType.MEDIA_TYPE, key: 'v=' },
      (v) => ({ accept: `application/json;v=${v}` }),
    ],
  ];

describe.each(['express', 'fastify'] as const)('route cache under versioning (%s)', (platform) => {
  describe.each(versionings)('%s versioning', (_name, versioning, asking) => {
    let app: INestApplication;

    beforeEach(async () => {
      app = await startHttpApp(VersionedModule, {
        adapter: platform === 'fastify' ? new FastifyAdapter() : undefined,
        prepare: (created) => created.enableVersioning(versioning),
      });
    });
    afterEach(() => app.close());

    async function versionServed(headers: Record<string, string>): Promise<unknown> {
      const response = await rawRequest(app, '/report', { headers });
      expect(response.status).toBe(200);
      return (JSON.parse(utf8Text(response)) as { version: string }).version;
    }

    it("serves each version its own handler's response, cached apart", async () => {
      expect(await versionServed(asking('1'))).toBe('1');
      expect(await versionServed(asking('2'))).toBe('2');
      expect(await versionServed({})).toBe('neutral');
      expect(await versionServed(asking('1'))).toBe('1');
      expect(await versionServed(asking('2'))).toBe('2');
      expect(await versionServed({})).toBe('neutral');
    });
  });
});
