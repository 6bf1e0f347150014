import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { databaseOptions, ENTITIES, openDataSource } from './database-options';
import { SeedService } from './seed.service';

/** The chat service's own source of truth, seeded at first start. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => databaseOptions(config),
      dataSourceFactory: (options?: DataSourceOptions) =>
        openDataSource(options as DataSourceOptions),
    }),
    TypeOrmModule.forFeature(ENTITIES),
  ],
  providers: [SeedService],
  exports: [TypeOrmModule],
})
export class DatabaseModule {}
