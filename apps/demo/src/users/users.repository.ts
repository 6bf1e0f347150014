import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { CacheEvict, Cacheable } from 'nest-tiered-cache';
import { MoreThan, QueryFailedError, Repository } from 'typeorm';
import { UserEntity } from '../database/user.entity';
import { toUser, userRecordKey, type User } from './user';

/** Users from the database, cache-aside: a cached user never costs a query. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /** Unknown ids are not cached, so a user created later is found at once. */
  @Cacheable({
    namespace: 'userRecords',
    key: (id: number) => userRecordKey(id),
    unless: (user: User | null) => user === null,
  })
  async findById(id: number): Promise<User | null> {
    const entity = await this.users.findOneBy({ id });
    return entity ? toUser(entity) : null;
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

  /** The cached copy is evicted once the row changed; a failed update evicts nothing. */
  @CacheEvict({ namespace: 'userRecords', keys: (id: number) => [userRecordKey(id)] })
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
