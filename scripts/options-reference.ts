import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const README = join(ROOT, 'README.md');
const OPTIONS = 'libs/cache/src/options/cache-options.interface.ts';
const CALL_OPTIONS = 'libs/cache/src/options/call-options.interface.ts';

/** The line after which README.md holds the generated reference. */
export const BEGIN_MARKER = '<!-- options-reference:begin -->';
/** The line before which README.md's generated reference ends. */
export const END_MARKER = '<!-- options-reference:end -->';

/** The documented interfaces, in the order the reference lists them. */
const INTERFACES: ReadonlyArray<{ name: string; file: string }> = [
  { name: 'CacheModuleOptions', file: OPTIONS },
  { name: 'MemoryOptions', file: OPTIONS },
  { name: 'PersistenceOptions', file: OPTIONS },
  { name: 'NamespaceOptions', file: OPTIONS },
  { name: 'RedisTierSettings', file: 'libs/cache/src/redis/redis-options.ts' },
  { name: 'MetricsOptions', file: 'libs/cache/src/options/metrics-options.ts' },
  { name: 'SetOptions', file: CALL_OPTIONS },
  { name: 'GetOrSetOptions', file: CALL_OPTIONS },
];

/** One property of an options interface, as its source declares and documents it. */
export interface OptionDoc {
  name: string;
  /** The type as written, on one line. */
  type: string;
  optional: boolean;
  /** The JSDoc description on one line; empty when there is none. */
  description: string;
  /** The `@default` tag's text, when there is one. */
  default?: string;
}

/** One options interface: its summary and its own (not inherited) properties. */
export interface InterfaceDoc {
  name: string;
  /** Repository-relative path of the declaring file. */
  file: string;
  summary: string;
  /** Interfaces it extends, whose options it takes too. */
  extends: string[];
  options: OptionDoc[];
}

/** Reads the documented options interfaces and their JSDoc from the library source. */
export function readOptionDocs(): InterfaceDoc[] {
  const sources = new Map<string, ts.SourceFile>();
  return INTERFACES.map(({ name, file }) => {
    let source = sources.get(file);
    if (!source) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      sources.set(file, source);
    }
    const declaration = source.statements.find(
      (node): node is ts.InterfaceDeclaration =>
        ts.isInterfaceDeclaration(node) && node.name.text === name,
    );
    if (!declaration) throw new Error(`options reference: no interface ${name} in ${file}`);
    return describeInterface(declaration, file, source);
  });
}

function describeInterface(
  declaration: ts.InterfaceDeclaration,
  file: string,
  source: ts.SourceFile,
): InterfaceDoc {
  const name = declaration.name.text;
  const options = declaration.members.map((member): OptionDoc => {
    // Anything but a plain property would be silently dropped from the table; refuse instead.
    if (!ts.isPropertySignature(member) || !member.type) {
      throw new Error(`options reference: ${name} has a member that is not a typed property`);
    }
    const defaultTag = ts.getJSDocTags(member).find((tag) => tag.tagName.text === 'default');
    return {
      name: member.name.getText(source),
      type: oneLine(member.type.getText(source)),
      optional: member.questionToken !== undefined,
      description: description(member),
      ...(defaultTag && { default: oneLine(ts.getTextOfJSDocComment(defaultTag.comment) ?? '') }),
    };
  });
  const parents = (declaration.heritageClauses ?? []).flatMap((clause) =>
    clause.types.map((type) => type.getText(source)),
  );
  return { name, file, summary: description(declaration), extends: parents, options };
}

/** The description of the JSDoc block nearest to `node`, on one line. */
function description(node: ts.Node): string {
  const block = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).at(-1);
  return oneLine(ts.getTextOfJSDocComment(block?.comment) ?? '');
}

/** Renders the reference as Markdown, ending with one newline. */
export function renderReference(docs: readonly InterfaceDoc[]): string {
  const sections = docs.map((doc) => {
    const lines = [`### \`${doc.name}\``, '', doc.summary];
    for (const parent of doc.extends)
      lines.push('', `It also takes every option of \`${parent}\`.`);
    lines.push('', '| option | type | default | meaning |', '| --- | --- | --- | --- |');
    for (const option of doc.options) {
      const name = `\`${option.name}\`${option.optional ? '' : ' (required)'}`;
      const type = `\`${option.type}\``;
      const fallback = option.default === undefined ? '—' : asCode(option.default);
      lines.push(`| ${[name, type, fallback, option.description].map(cell).join(' | ')} |`);
    }
    return lines.join('\n');
  });
  const notice = "<!-- Generated from the options' JSDoc by `npm run docs:options`; edit that. -->";
  return `${[notice, ...sections].join('\n\n')}\n`;
}

/** The reference generated from the library source as it is now. */
export function optionsReference(): string {
  return renderReference(readOptionDocs());
}

/** The text between README's marker lines, or `undefined` when they are missing. */
export function referenceInReadme(readme: string): string | undefined {
  const lines = readme.split('\n');
  const begin = lines.indexOf(BEGIN_MARKER);
  const end = lines.indexOf(END_MARKER, begin + 1);
  if (begin < 0 || end < 0) return undefined;
  return lines
    .slice(begin + 1, end)
    .map((line) => `${line}\n`)
    .join('');
}

/** `readme` with the text between its marker lines replaced by `reference`. */
export function withReference(readme: string, reference: string): string {
  const lines = readme.split('\n');
  const begin = lines.indexOf(BEGIN_MARKER);
  const end = lines.indexOf(END_MARKER, begin + 1);
  if (begin < 0 || end < 0) {
    throw new Error(
      `README.md needs the lines "${BEGIN_MARKER}" and "${END_MARKER}", in that order, ` +
        'where the options reference belongs',
    );
  }
  const before = lines.slice(0, begin + 1).join('\n');
  return `${before}\n${reference}${lines.slice(end).join('\n')}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Literal defaults (`'5s'`, `1000`, `[]`, `PersistenceLevel.MEMORY_ONLY`) read best as code. */
function asCode(text: string): string {
  const literal =
    /^(?:'[^']*'|-?\d[\d.]*|true|false|undefined|\[[^\]]*\]|\{[^}]*\}|[A-Z]\w*\.[A-Z_]+)$/;
  return literal.test(text) ? `\`${text}\`` : text;
}

function main(check: boolean): void {
  const readme = readFileSync(README, 'utf8');
  const updated = withReference(readme, optionsReference());
  if (check) {
    if (updated === readme) return;
    console.error('README.md: the options reference is out of date; run `npm run docs:options`.');
    process.exitCode = 1;
  } else if (updated !== readme) {
    writeFileSync(README, updated);
    console.log('README.md: options reference updated.');
  }
}

if (require.main === module) {
  try {
    main(process.argv.includes('--check'));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
