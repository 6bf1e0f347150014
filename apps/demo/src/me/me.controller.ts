import { Body, Controller, Get, Patch, Put, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  CacheEvict,
  CacheInterceptor,
  CacheOptions,
  InjectCache,
  NamespaceCache,
} from 'nest-tiered-cache';
import { CurrentUser } from '../auth/current-user.decorator';
import { SessionGuard } from '../auth/session.guard';
import { ChatsService } from '../chats/chats.service';
import { ConfirmationsService } from '../confirmations/confirmations.service';
import type { PendingAction } from '../confirmations/pending-action';
import type { User } from '../users/user';
import { UsersRepository } from '../users/users.repository';
import { requireText } from '../validation';
import { DEFAULT_UI_STATE, uiStatePatch, type UiState } from './ui-state';

/** The signed-in user's own routes. */
@Controller('me')
@UseGuards(SessionGuard)
export class MeController {
  constructor(
    private readonly users: UsersRepository,
    private readonly chats: ChatsService,
    private readonly confirmations: ConfirmationsService,
    @InjectCache('users') private readonly uiStates: NamespaceCache<UiState>,
  ) {}

  /**
   * Cached per user for 30 seconds: the key varies on `Authorization`, so no user ever gets
   * another's answer. Membership changes evict it (tag `me`).
   */
  @Get()
  @UseInterceptors(CacheInterceptor)
  @CacheOptions({ ttl: '30s', vary: ['authorization'], tags: ['me'] })
  async me(
    @CurrentUser() userId: number,
  ): Promise<{ user: User | null; chats: Array<{ id: number; title: string; role: string }> }> {
    const [user, chats] = await Promise.all([
      this.users.findById(userId),
      this.chats.chatsOf(userId),
    ]);
    return { user, chats };
  }

  @Patch()
  @CacheEvict({ namespace: 'http', tags: ['me'] })
  rename(@CurrentUser() userId: number, @Body() body: { name?: unknown }): Promise<User> {
    return this.users.rename(userId, requireText(body.name, 'name', 100));
  }

  @Get('ui')
  async uiState(@CurrentUser() userId: number): Promise<UiState> {
    return (await this.uiStates.get(String(userId))) ?? DEFAULT_UI_STATE;
  }

  @Put('ui')
  async saveUiState(
    @CurrentUser() userId: number,
    @Body() body: Record<string, unknown>,
  ): Promise<UiState> {
    const state = { ...(await this.uiState(userId)), ...uiStatePatch(body) };
    await this.uiStates.set(String(userId), state);
    return state;
  }

  /** Pending confirmations of the user, through the `confirmation` index by owner. */
  @Get('pending')
  pending(@CurrentUser() userId: number): Promise<PendingAction[]> {
    return this.confirmations.pendingFor(`user:${userId}`);
  }
}
