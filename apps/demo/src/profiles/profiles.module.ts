import { Module } from '@nestjs/common';
import { CacheModule, PersistenceLevel } from '@app/cache';
import { ProfilesController } from './profiles.controller';
import { ProfilesService } from './profiles.service';

@Module({
  imports: [
    CacheModule.forFeature([
      { name: 'profiles', ttl: '10m', maxEntries: 5000 },
      // Counters survive restarts: written when the app shuts down.
      { name: 'visits', ttl: '1d', persistence: PersistenceLevel.ON_SHUTDOWN },
      // When a profile was last seen: written every flush interval.
      { name: 'lastSeen', ttl: '7d', persistence: PersistenceLevel.PERIODIC },
    ]),
  ],
  controllers: [ProfilesController],
  providers: [ProfilesService],
})
export class ProfilesModule {}
