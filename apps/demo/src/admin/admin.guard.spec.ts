import { ForbiddenException, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AdminGuard } from './admin.guard';

function requestWith(headers: Record<string, string>): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => ({ headers }) }),
  } as unknown as ExecutionContext;
}

describe('AdminGuard', () => {
  it('refuses everyone while ADMIN_TOKEN is unset', () => {
    const guard = new AdminGuard(new ConfigService({}));
    expect(() => guard.canActivate(requestWith({ 'x-admin-token': '' }))).toThrow(
      'set ADMIN_TOKEN to enable operator writes',
    );
  });

  it('lets through the configured token only', () => {
    const guard = new AdminGuard(new ConfigService({ ADMIN_TOKEN: 'operator-secret' }));
    expect(guard.canActivate(requestWith({ 'x-admin-token': 'operator-secret' }))).toBe(true);
    const wrong: Array<Record<string, string>> = [
      {},
      { 'x-admin-token': 'operator-secreT' },
      { 'x-admin-token': 'op' },
    ];
    for (const headers of wrong)
      expect(() => guard.canActivate(requestWith(headers))).toThrow(ForbiddenException);
  });
});
