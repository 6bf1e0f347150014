import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectCache, NamespaceCache } from '@app/cache';
import type { Profile } from './profile';

/** Profiles behind a read-through cache, and a per-profile visit counter. */
@Injectable()
export class ProfilesService {
  /** Stands in for a database; `loads` counts how often the cache missed. */
  private readonly source = new Map<string, Profile>([
    [
      'ada',
      {
        id: 'ada',
        name: 'Ada Lovelace',
        bio: 'Analyst',
        updatedAt: new Date('1843-09-01T00:00:00Z'),
      },
    ],
    [
      'alan',
      {
        id: 'alan',
        name: 'Alan Turing',
        bio: 'Computer scientist',
        updatedAt: new Date('1936-11-12T00:00:00Z'),
      },
    ],
  ]);
  loads = 0;

  constructor(
    @InjectCache('profiles') private readonly profiles: NamespaceCache<Profile>,
    @InjectCache('visits') private readonly visits: NamespaceCache<number>,
    @InjectCache('lastSeen') private readonly lastSeen: NamespaceCache<Date>,
  ) {}

  async find(id: string): Promise<{ profile: Profile; visits: number }> {
    const profile = await this.profiles.getOrSet(id, () => this.load(id), {
      tags: ['profiles'],
      indexes: { name: id },
    });
    const visits = await this.visits.increment(id);
    await this.lastSeen.set(id, new Date());
    return { profile, visits };
  }

  async rename(id: string, name: string): Promise<Profile> {
    const current = this.source.get(id);
    if (!current) throw new NotFoundException(`no profile "${id}"`);
    const updated = { ...current, name, updatedAt: new Date() };
    this.source.set(id, updated);
    // The patched entry keeps its TTL, tags and index.
    await this.profiles.update(id, { name, updatedAt: updated.updatedAt });
    return updated;
  }

  async forgetAll(): Promise<number> {
    return this.profiles.invalidateTags(['profiles']);
  }

  private async load(id: string): Promise<Profile> {
    this.loads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const profile = this.source.get(id);
    if (!profile) throw new NotFoundException(`no profile "${id}"`);
    return profile;
  }
}
