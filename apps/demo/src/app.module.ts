import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CacheModule } from '@app/cache';
import type { DataSourceOptions } from 'typeorm';
import { NotesModule } from './notes/notes.module';
import { validateEnvironment } from './environment';
import { CacheAdminController, MetricsController } from './cache-admin.controller';
import { HomeController } from './home.controller';
import { ProfilesModule } from './profiles/profiles.module';

/** PostgreSQL at DATABASE_URL, else the embedded store (at CACHE_SQLITE_PATH, or the default file). */
function storeFor(config: ConfigService): DataSourceOptions | undefined {
  const url = config.get<string>('DATABASE_URL');
  if (url) return { type: 'postgres', url };
  const location = config.get<string>('CACHE_SQLITE_PATH');
  return location ? { type: 'sqljs', location, autoSave: true } : undefined;
}

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, validate: validateEnvironment }),
    CacheModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        prefix: config.get<string>('CACHE_PREFIX', 'demo'),
        defaultTtl: config.get<string>('CACHE_DEFAULT_TTL', '15m') as '15m',
        memory: { maxEntries: Number(config.get<string>('CACHE_MAX_ENTRIES', '10000')) },
        ...(config.get<string>('REDIS_URL') && {
          redis: { url: config.get<string>('REDIS_URL') as string },
        }),
        persistence: { dataSource: storeFor(config), flushInterval: '2s' },
        metrics: true,
      }),
    }),
    ProfilesModule,
    NotesModule,
  ],
  controllers: [HomeController, CacheAdminController, MetricsController],
})
export class AppModule {}
