import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { instanceName } from '../instance';
import { DigestJob, type Digest } from './digest.job';

/** The digest job: run it now, or read its last result. */
@Controller('jobs/digest')
export class JobsController {
  constructor(private readonly digest: DigestJob) {}

  /** Runs the current window's digest now, unless another instance already did. */
  @Post()
  @HttpCode(200)
  async run(): Promise<{ ran: boolean; window: number; instance: string }> {
    return { ...(await this.digest.run()), instance: instanceName() };
  }

  @Get()
  async latest(): Promise<{ latest: Digest | null; instance: string }> {
    return { latest: (await this.digest.latest()) ?? null, instance: instanceName() };
  }
}
