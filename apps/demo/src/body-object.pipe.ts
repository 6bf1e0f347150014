import {
  BadRequestException,
  Injectable,
  type ArgumentMetadata,
  type PipeTransform,
} from '@nestjs/common';

/**
 * Every `@Body()` is a JSON object: a request without a body gets `{}` (so each field reports
 * itself missing), and one whose body is an array, a string or null gets a 400.
 */
@Injectable()
export class BodyObjectPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new BadRequestException('the body must be a JSON object');
    return value;
  }
}
