/** An ETag function as Express keeps it (`etag fn`): the body's text and its encoding. */
export type EtagFunction = (body: string, encoding: string) => string | undefined;

/** A body's JSON, and its ETag as the app's `etag fn` computed it (Express). */
export interface StoredJson {
  readonly text: string;
  /** The text's UTF-8 bytes, what Express sends (written on the first Express hit). */
  bytes?: Buffer;
  etag?: { readonly by: EtagFunction; readonly value: string | undefined };
}

/**
 * The JSON of bodies the cache handed out, by body. Stored bodies are deeply frozen, so the text
 * of one never changes; an entry goes with its body once the cache lets go of it.
 */
const TEXTS = new WeakMap<object, StoredJson>();

/**
 * The JSON of a body the cache handed out (deeply frozen), written on its first hit and kept as
 * long as the body, outside the memory tier's byte budget.
 */
export function storedJsonOf(body: object): StoredJson {
  let stored = TEXTS.get(body);
  if (stored === undefined) {
    stored = { text: JSON.stringify(body) };
    TEXTS.set(body, stored);
  }
  return stored;
}
