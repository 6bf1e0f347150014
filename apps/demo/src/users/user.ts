import type { UserEntity } from '../database/user.entity';

/** A user as the API and the caches hold it: plain data, no entity class. */
export interface User {
  id: number;
  email: string;
  name: string;
  lastActiveAt: Date;
}

/** The plain copy of a row that the API returns and the caches hold. */
export function toUser(entity: UserEntity): User {
  return {
    id: entity.id,
    email: entity.email,
    name: entity.name,
    lastActiveAt: entity.lastActiveAt,
  };
}

/** The key of a user in the `userRecords` namespace. */
export function userRecordKey(id: number): string {
  return String(id);
}
