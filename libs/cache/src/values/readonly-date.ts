/**
 * Freezing does not protect a Date's internal time slot, so stored Dates get a prototype, between
 * them and `Date.prototype`, whose setters throw. They stay `instanceof Date`, with
 * `constructor === Date`; JSON and structuredClone see plain Dates.
 */
const READONLY_DATE_PROTOTYPE: Date = Object.create(Date.prototype) as Date;
for (const name of Object.getOwnPropertyNames(Date.prototype)) {
  if (name.startsWith('set')) {
    Object.defineProperty(READONLY_DATE_PROTOTYPE, name, {
      value: rejectDateChange,
      enumerable: false,
    });
  }
}

/** `date`, given the read-only prototype: its setters throw from now on (freeze it as well). */
export function readonlyDate(date: Date): Date {
  Object.setPrototypeOf(date, READONLY_DATE_PROTOTYPE);
  return date;
}

function rejectDateChange(): never {
  throw new TypeError('Cannot change a Date returned by the cache; copy it first (new Date(date))');
}
