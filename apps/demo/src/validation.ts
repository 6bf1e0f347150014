import { BadRequestException } from '@nestjs/common';

/** A trimmed, non-empty string of at most `max` characters, or a 400 naming the field. */
export function requireText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new BadRequestException(`${field}: a non-empty string is required`);
  const text = value.trim();
  if (text.length > max) throw new BadRequestException(`${field}: at most ${max} characters`);
  return text;
}

/** A positive integer path or query parameter, or a 400 naming it. */
export function requireId(value: string, field: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value))
    throw new BadRequestException(`${field}: ${JSON.stringify(value)} is not an id`);
  return Number(value);
}

/** An optional positive integer at most `max`, or a 400 naming it. */
export function optionalCount(value: unknown, field: string, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const count = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(count) || count < 1 || count > max)
    throw new BadRequestException(`${field}: an integer from 1 to ${max} is required`);
  return count;
}
