import { BadRequestException } from '@nestjs/common';

/** A trimmed, non-empty string of at most `max` characters, or a 400 naming the field. */
export function requireText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new BadRequestException(`${field}: a non-empty string is required`);
  const text = value.trim();
  if (text.length > max) throw new BadRequestException(`${field}: at most ${max} characters`);
  return text;
}

/** Largest id a 32-bit serial column holds. */
const MAX_ID = 2_147_483_647;

/** A positive integer path or query parameter that fits an id column, or a 400 naming it. */
export function requireId(value: string, field: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_ID)
    throw new BadRequestException(`${field}: ${JSON.stringify(value)} is not an id`);
  return Number(value);
}

/** An optional string (empty allowed) of at most `max` characters, or a 400 naming the field. */
export function optionalText(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`${field}: a string is required`);
  if (value.length > max) throw new BadRequestException(`${field}: at most ${max} characters`);
  return value;
}

/** An optional positive integer at most `max`, or a 400 naming it. */
export function optionalCount(value: unknown, field: string, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const count = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(count) || count < 1 || count > max)
    throw new BadRequestException(`${field}: an integer from 1 to ${max} is required`);
  return count;
}
