import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import ms from 'ms';
import { MoreThanOrEqual, Repository } from 'typeorm';
import { MessageEntity } from '../database/message.entity';
import { instanceName } from '../instance';

/** Messages per chat in the interval before a run, computed by one instance for all. */
export interface Digest {
  window: number;
  ranBy: string;
  at: Date;
  messagesPerChat: Record<string, number>;
}

/**
 * Every `DIGEST_INTERVAL` (1m), counts the messages per chat of the last interval. However many
 * instances run, one does the work per window (the interval's slot of the clock): the one whose
 * `setIfAbsent` took the window's lock.
 */
@Injectable()
export class DigestJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DigestJob');
  private readonly interval: number;
  private timer?: NodeJS.Timeout;

  constructor(
    config: ConfigService,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectCache('temp') private readonly locks: NamespaceCache<string>,
    @InjectCache('temp') private readonly digests: NamespaceCache<Digest>,
  ) {
    this.interval = ms((config.get<string>('DIGEST_INTERVAL') || '1m') as ms.StringValue);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run().catch(() => undefined), this.interval);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Runs the current window's digest unless an instance already took it. */
  async run(): Promise<{ ran: boolean; window: number }> {
    const window = Math.floor(Date.now() / this.interval);
    const took = await this.locks.setIfAbsent(`lock:digest:${window}`, instanceName(), {
      ttl: this.interval * 2,
    });
    if (!took) return { ran: false, window };
    const since = new Date(Date.now() - this.interval);
    const rows = await this.messages
      .createQueryBuilder('message')
      .select('message.chatId', 'chatId')
      .addSelect('COUNT(*)', 'count')
      .where({ createdAt: MoreThanOrEqual(since) })
      .groupBy('message.chatId')
      .getRawMany<{ chatId: number; count: string | number }>();
    const digest: Digest = {
      window,
      ranBy: instanceName(),
      at: new Date(),
      messagesPerChat: Object.fromEntries(
        rows.map((row) => [String(row.chatId), Number(row.count)]),
      ),
    };
    await this.digests.set('digest:latest', digest, { ttl: this.interval * 2 });
    this.logger.log(`digest of window ${window} by ${digest.ranBy}`);
    return { ran: true, window };
  }

  latest(): Promise<Digest | undefined> {
    return this.digests.get('digest:latest');
  }
}
