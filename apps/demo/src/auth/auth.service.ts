import {
  ConflictException,
  HttpException,
  HttpStatus,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectCache, NamespaceCache } from 'nest-tiered-cache';
import { randomBytes } from 'node:crypto';
import { ConfirmationsService } from '../confirmations/confirmations.service';
import type { User } from '../users/user';
import { UsersRepository } from '../users/users.repository';
import type { Session } from './session';

/** Wrong confirmation codes one email may send within 5 minutes. */
const MAX_CODE_ATTEMPTS = 5;

/** A signup waiting for its confirmation code. */
interface PendingSignup {
  email: string;
  name: string;
  requestedAt: Date;
}

/** A session as `GET /auth/session` shows it. */
export interface SessionInfo extends Session {
  expiresInMs: number;
}

/** Signup with a confirmation code, and logins as sessions in the cache. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly confirmations: ConfirmationsService,
    @InjectCache('session') private readonly sessions: NamespaceCache<Session>,
    @InjectCache('signup') private readonly signups: NamespaceCache<PendingSignup>,
    // Two key spaces: `pending:<email>` holds signups, `attempts:<email>` wrong codes.
    @InjectCache('signup') private readonly attempts: NamespaceCache<number>,
  ) {}

  /** Keeps the signup for 30 minutes and returns the code that confirms it (5 minutes). */
  async signup(email: string, name: string): Promise<{ code: string }> {
    if (await this.users.findByEmail(email))
      throw new ConflictException(`a user with email ${email} exists`);
    await this.signups.set(`pending:${email}`, { email, name, requestedAt: new Date() });
    return { code: await this.confirmations.create({ kind: 'signup', email }) };
  }

  /**
   * Creates the user of a confirmed signup and logs them in. A code confirms only its own email,
   * and after `MAX_CODE_ATTEMPTS` wrong codes for an email (5 minutes) none is taken, so six
   * digits cannot be guessed.
   */
  async confirmSignup(email: string, code: string): Promise<{ user: User; token: string }> {
    const failures = (await this.attempts.get(`attempts:${email}`)) ?? 0;
    if (failures >= MAX_CODE_ATTEMPTS)
      throw new HttpException(
        'too many wrong codes; try again later',
        HttpStatus.TOO_MANY_REQUESTS,
      );
    const action = await this.confirmations
      .take(code, 'signup', (pending) => pending.email === email)
      .catch(async (error: unknown) => {
        await this.attempts.increment(`attempts:${email}`, 1, { ttl: '5m' });
        throw error;
      });
    const pending = await this.signups.get(`pending:${action.email}`);
    if (!pending) throw new NotFoundException('the signup expired; sign up again');
    const user = await this.users.create(pending.email, pending.name);
    await this.signups.delete(`pending:${action.email}`);
    return { user, token: await this.openSession(user.id) };
  }

  /** Demo sign-in: the email of a user is enough (no passwords here). */
  async login(email: string): Promise<{ user: User; token: string }> {
    const user = await this.users.findByEmail(email);
    if (!user) throw new NotFoundException(`no user with email ${email}`);
    await this.users.touch(user.id);
    return { user, token: await this.openSession(user.id) };
  }

  /** The session of `token` and its remaining time to live; a 401 once it ended. */
  async session(token: string): Promise<SessionInfo> {
    const [session, left] = await Promise.all([
      this.sessions.get(token),
      this.sessions.getTtl(token),
    ]);
    if (!session || left === undefined)
      throw new UnauthorizedException('the session expired or was logged out');
    return { ...session, expiresInMs: left };
  }

  /** Ends the session of `token`. */
  async logout(token: string): Promise<void> {
    await this.sessions.delete(token);
  }

  /** Ends every session of a user, found through the sessions' index by user. */
  async logoutEverywhere(userId: number): Promise<number> {
    const tokens = await this.sessions.keysByIndex('user', String(userId));
    await Promise.all(tokens.map((token) => this.sessions.delete(token)));
    return tokens.length;
  }

  private async openSession(userId: number): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    await this.sessions.set(
      token,
      { userId, createdAt: new Date() },
      { indexes: { user: String(userId) } },
    );
    return token;
  }
}
