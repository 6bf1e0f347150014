import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CacheModule } from 'nest-tiered-cache';
import { MessageEntity } from '../database/message.entity';
import { TEMP } from '../namespaces';
import { DigestJob } from './digest.job';
import { JobsController } from './jobs.controller';

/** Jobs that run once across instances, guarded by a `setIfAbsent` lock. */
@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity]), CacheModule.forFeature([TEMP])],
  controllers: [JobsController],
  providers: [DigestJob],
})
export class JobsModule {}
