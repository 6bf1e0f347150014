import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { requireId } from '../validation';
import type { User } from './user';
import { UsersRepository } from './users.repository';

/** Public user profiles. */
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersRepository) {}

  /** Public profile; served from `userRecords` once cached (or warmed at start). */
  @Get(':id')
  async find(@Param('id') id: string): Promise<Pick<User, 'id' | 'name'>> {
    const user = await this.users.findById(requireId(id, 'id'));
    if (!user) throw new NotFoundException(`no user ${id}`);
    return { id: user.id, name: user.name };
  }
}
