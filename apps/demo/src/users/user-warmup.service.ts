import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import { userRecordKey, type User } from './user';
import { UsersRepository } from './users.repository';

const DAY = 24 * 60 * 60 * 1000;

/** Loads users active in the last `WARM_ACTIVE_DAYS` days (7) into the cache at start. */
@Injectable()
export class UserWarmupService implements OnApplicationBootstrap {
  private readonly logger = new Logger('UserWarmup');
  /** How many users the last warm-up loaded. */
  warmed = 0;

  constructor(
    private readonly repository: UsersRepository,
    private readonly config: ConfigService,
    @InjectCache('userRecords') private readonly userRecords: NamespaceCache<User>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const days = Number(this.config.get<string>('WARM_ACTIVE_DAYS') || 7);
    const users = await this.repository.activeSince(new Date(Date.now() - days * DAY));
    // The keys `findById` reads, so its first calls are hits.
    await this.userRecords.setMany(users.map((user) => [userRecordKey(user.id), user] as const));
    this.warmed = users.length;
    this.logger.log(`warmed ${users.length} active users into "userRecords"`);
  }
}
