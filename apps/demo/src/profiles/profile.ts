/** A user profile as the demo's slow source of truth returns it. */
export interface Profile {
  id: string;
  name: string;
  bio: string;
  updatedAt: Date;
}
