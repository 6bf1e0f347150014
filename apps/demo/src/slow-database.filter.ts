import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { LoaderTimeoutError } from 'nest-tiered-cache';

/**
 * A load past its hard timeout (`E_CACHE_LOADER_TIMEOUT`) with no stale copy to serve: a 503 the
 * client may retry, since the load goes on and stores its value when the database answers.
 */
@Catch(LoaderTimeoutError)
export class SlowDatabaseFilter implements ExceptionFilter {
  catch(error: LoaderTimeoutError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{
      setHeader(name: string, value: string): void;
      status(code: number): { json(body: unknown): void };
    }>();
    response.setHeader('Retry-After', '1');
    response.status(HttpStatus.SERVICE_UNAVAILABLE).json({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      code: error.code,
      message: 'the database is slow; try again in a moment',
    });
  }
}
