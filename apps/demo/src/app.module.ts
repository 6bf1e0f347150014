import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CacheModule, type NamespaceOptions } from 'nest-tiered-cache';
import { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module';
import { BodyObjectPipe } from './body-object.pipe';
import { CacheAdminController } from './admin/cache-admin.controller';
import { DashboardHistory } from './admin/dashboard/dashboard-history.service';
import { MetricsController } from './admin/metrics.controller';
import { ChatsModule } from './chats/chats.module';
import { ConfirmationsModule } from './confirmations/confirmations.module';
import { DatabaseModule } from './database/database.module';
import { validateEnvironment } from './environment';
import { HomeController } from './home.controller';
import { JobsModule } from './jobs/jobs.module';
import { MeModule } from './me/me.module';
import { MessagesModule } from './messages/messages.module';
import { RATELIMIT_NAME, SHARED_TIERS } from './namespaces';
import { SlowDatabaseFilter } from './slow-database.filter';
import { UsersModule } from './users/users.module';

/** The rate limit's counters: in the shared tier alone when there is one, else in memory. */
function rateLimitTiers(redisUrl: string | undefined): NamespaceOptions['tiers'] {
  if (redisUrl) return ['redis'];
  return SHARED_TIERS.tiers?.includes('postgres') ? ['postgres'] : ['memory'];
}

/** The chat service: configuration, its database, the cache, and one module per concern. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, validate: validateEnvironment }),
    DatabaseModule,
    CacheModule.forRootAsync({
      // The app's own DataSource: `cache_storage` lives beside the chat tables.
      inject: [ConfigService, DataSource],
      useFactory: (config: ConfigService, dataSource: DataSource) => {
        const redisUrl = config.get<string>('REDIS_URL');
        return {
          prefix: config.get<string>('CACHE_PREFIX') || 'chat',
          defaultTtl: '15m',
          memory: { maxEntries: Number(config.get<string>('CACHE_MAX_ENTRIES') || 10_000) },
          ...(redisUrl && { redis: { url: redisUrl } }),
          persistence: { dataSource, flushInterval: '2s' },
          metrics: true,
          namespaces: [
            // Responses of `CacheInterceptor` routes (GET /me).
            { name: 'http', ttl: '1m', maxEntries: 2000, ...SHARED_TIERS },
            // One counter per user and minute that every instance increments.
            { name: RATELIMIT_NAME, ttl: '1h', tiers: rateLimitTiers(redisUrl) },
          ],
        };
      },
    }),
    UsersModule,
    ConfirmationsModule,
    AuthModule,
    ChatsModule,
    MessagesModule,
    MeModule,
    JobsModule,
  ],
  controllers: [HomeController, CacheAdminController, MetricsController],
  providers: [
    { provide: APP_PIPE, useClass: BodyObjectPipe },
    { provide: APP_FILTER, useClass: SlowDatabaseFilter },
    DashboardHistory,
  ],
})
export class AppModule {}
