/**
 * How long a load may run and still store its value (see `CacheTier.setUnlessChanged`): longer
 * ones return it without storing, since the delete marks that would stop them from undoing a
 * delete are gone by then.
 */
export const LOAD_WINDOW_MS = 300_000;

/** How long a shared tier keeps the mark of a deleted key: beyond any load allowed to store. */
export const DELETE_MARK_MS = 2 * LOAD_WINDOW_MS;
