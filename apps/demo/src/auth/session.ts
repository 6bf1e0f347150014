/** A login, stored in the `session` namespace under its bearer token. */
export interface Session {
  userId: number;
  createdAt: Date;
}

/** The user a request was authenticated as, set by `SessionGuard`. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  userId?: number;
  sessionToken?: string;
}
