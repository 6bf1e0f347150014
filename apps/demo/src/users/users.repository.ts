import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { CachePut, Cacheable, InjectCache, NamespaceCache } from 'nest-tiered-cache';
import { In, MoreThan, QueryFailedError, Repository } from 'typeorm';
import { UserEntity } from '../database/user.entity';
import { toUser, userRecordKey, type User } from './user';

/**
 * How long a read of a user waits for a slow database: after `USER_SOFT_TIMEOUT` a copy past its
 * TTL (within the namespace's grace) is served instead, and the load goes on in the background;
 * after `USER_HARD_TIMEOUT` a user with no such copy gets `E_CACHE_LOADER_TIMEOUT` (a 503).
 */
export const USER_SOFT_TIMEOUT = '100ms';
export const USER_HARD_TIMEOUT = '2s';

/** Users from the database, cache-aside: a cached user never costs a query. */
@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectCache('userRecords') private readonly records: NamespaceCache<User>,
  ) {}

  /** Unknown ids are not cached, so a user created later is found at once. */
  @Cacheable({
    namespace: 'userRecords',
    key: (id: number) => userRecordKey(id),
    unless: (user: User | null) => user === null,
    timeout: USER_SOFT_TIMEOUT,
    hardTimeout: USER_HARD_TIMEOUT,
  })
  async findById(id: number): Promise<User | null> {
    const entity = await this.users.findOneBy({ id });
    return entity ? toUser(entity) : null;
  }

  /**
   * Users by id, in order (undefined for unknown ids): the cached ones from `userRecords`, all the
   * others with one query (`getOrSetMany`).
   */
  findMany(ids: readonly number[]): Promise<Array<User | undefined>> {
    return this.records.getOrSetMany(ids.map(userRecordKey), async (missing) => {
      const rows = await this.users.findBy({ id: In(missing.map(Number)) });
      return new Map(rows.map((row) => [userRecordKey(row.id), toUser(row)]));
    });
  }

  /** Uncached: sign-in and signup read it rarely, and must see a user created a moment ago. */
  async findByEmail(email: string): Promise<User | null> {
    const entity = await this.users.findOneBy({ email });
    return entity ? toUser(entity) : null;
  }

  /** Users seen since `since`, for warming the cache at start. */
  async activeSince(since: Date): Promise<User[]> {
    const entities = await this.users.find({
      where: { lastActiveAt: MoreThan(since) },
      order: { id: 'ASC' },
    });
    return entities.map(toUser);
  }

  /** A new user; a 409 when the email is taken, also when a concurrent signup took it first. */
  async create(email: string, name: string): Promise<User> {
    try {
      return toUser(await this.users.save({ email, name, lastActiveAt: new Date() }));
    } catch (error) {
      if (error instanceof QueryFailedError && (await this.users.existsBy({ email })))
        throw new ConflictException(`a user with email ${email} exists`);
      throw error;
    }
  }

  /**
   * The renamed user replaces the cached copy (`@CachePut`), so the next read is a hit; a failed
   * update stores nothing.
   */
  @CachePut({ namespace: 'userRecords', key: (id: number) => userRecordKey(id) })
  async rename(id: number, name: string): Promise<User> {
    const result = await this.users.update({ id }, { name });
    if (!result.affected) throw new NotFoundException(`no user ${id}`);
    return toUser(await this.users.findOneByOrFail({ id }));
  }

  /**
   * Records activity for the warm-up at start. It evicts nothing: a cached copy's `lastActiveAt`
   * may lag by the namespace TTL, and nothing decides on it but the warm-up, which reads rows.
   */
  async touch(id: number): Promise<void> {
    await this.users.update({ id }, { lastActiveAt: new Date() });
  }
}
