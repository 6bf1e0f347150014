import { Body, Controller, Delete, Get, Param, Patch } from '@nestjs/common';
import type { Profile } from './profile';
import { ProfilesService } from './profiles.service';

@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get(':id')
  find(@Param('id') id: string): Promise<{ profile: Profile; visits: number; loads: number }> {
    return this.profiles.find(id).then((found) => ({ ...found, loads: this.profiles.loads }));
  }

  @Patch(':id')
  rename(@Param('id') id: string, @Body() body: { name: string }): Promise<Profile> {
    return this.profiles.rename(id, body.name);
  }

  @Delete()
  async forgetAll(): Promise<{ invalidated: number }> {
    return { invalidated: await this.profiles.forgetAll() };
  }
}
