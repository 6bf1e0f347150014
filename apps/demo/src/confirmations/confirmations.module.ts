import { Module } from '@nestjs/common';
import { CacheModule } from 'nest-tiered-cache';
import { CONFIRMATION } from '../namespaces';
import { ConfirmationsService } from './confirmations.service';

/** One-time codes for pending actions. */
@Module({
  imports: [CacheModule.forFeature([CONFIRMATION])],
  providers: [ConfirmationsService],
  exports: [ConfirmationsService],
})
export class ConfirmationsModule {}
