import { Module } from '@nestjs/common';
import { CacheModule, PersistenceLevel } from '@app/cache';
import { NotesController } from './notes.controller';

@Module({
  imports: [
    // Notes are written to the durable store before a write returns.
    CacheModule.forFeature([
      { name: 'notes', ttl: '30d', persistence: PersistenceLevel.ON_CHANGE },
    ]),
  ],
  controllers: [NotesController],
})
export class NotesModule {}
