/**
 * The `valueOf` of each boxed primitive by its tag: it reads a box of any realm (a `vm`
 * context), and throws for any other object, whatever tag it claims.
 */
const UNBOX = new Map(
  [Number, String, Boolean].map((box) => [
    `[object ${box.name}]`,
    Reflect.get(box.prototype, 'valueOf') as (this: unknown) => number | string | boolean,
  ]),
);

/**
 * The primitive inside a `Number`, `String` or `Boolean` object, of this realm or another, as
 * JSON writes it; undefined for any other object.
 */
export function unboxed(value: object): number | string | boolean | undefined {
  const valueOf = UNBOX.get(Object.prototype.toString.call(value));
  if (valueOf === undefined) return undefined;
  try {
    return valueOf.call(value);
  } catch {
    // A Symbol.toStringTag that claims a box it is not.
    return undefined;
  }
}
