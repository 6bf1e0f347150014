import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CacheModule } from 'nest-tiered-cache';
import { UserEntity } from '../database/user.entity';
import { USER_RECORDS } from '../namespaces';
import { UserWarmupService } from './user-warmup.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';

/** Users from the database behind `userRecords`, warmed at start. */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity]), CacheModule.forFeature([USER_RECORDS])],
  controllers: [UsersController],
  providers: [UsersRepository, UserWarmupService],
  exports: [UsersRepository],
})
export class UsersModule {}
