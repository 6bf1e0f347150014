import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BEGIN_MARKER,
  END_MARKER,
  optionsReference,
  readOptionDocs,
  referenceInReadme,
} from '../scripts/options-reference';

/** Kept apart from the generator's own list, so dropping an interface there fails here. */
const DOCUMENTED = [
  'CacheModuleOptions',
  'MemoryOptions',
  'PersistenceOptions',
  'NamespaceOptions',
  'RedisTierSettings',
  'MetricsOptions',
  'SetOptions',
  'GetOrSetOptions',
];

const REGENERATE = 'run `npm run docs:options` to regenerate it from the JSDoc';

describe("README's options reference", () => {
  it('mentions every options interface', () => {
    const reference = optionsReference();
    for (const name of DOCUMENTED) expect(reference).toContain(`### \`${name}\``);
  });

  it('documents every option with a description', () => {
    const undocumented = readOptionDocs().flatMap((doc) =>
      doc.options
        .filter((option) => option.description === '')
        .map((option) => `${doc.name}.${option.name} (${doc.file})`),
    );
    expect(undocumented).toEqual([]);
  });

  it('gives every optional option a @default', () => {
    const withoutDefault = readOptionDocs().flatMap((doc) =>
      doc.options
        .filter((option) => option.optional && option.default === undefined)
        .map((option) => `${doc.name}.${option.name} (${doc.file})`),
    );
    expect(withoutDefault).toEqual([]);
  });

  it('matches the JSDoc it is generated from', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const inReadme = referenceInReadme(readme);
    if (inReadme === undefined) {
      throw new Error(
        `README.md has no "${BEGIN_MARKER}" ... "${END_MARKER}" lines: add them where the ` +
          `options reference belongs, then ${REGENERATE}.`,
      );
    }
    try {
      expect(inReadme).toBe(optionsReference());
    } catch (error) {
      // Keep Jest's diff, but lead with the fix.
      if (error instanceof Error)
        error.message = `README.md is stale: ${REGENERATE}.\n\n${error.message}`;
      throw error;
    }
  });
});
