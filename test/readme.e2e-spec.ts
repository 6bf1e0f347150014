import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..');
const OUT = join(__dirname, '.readme-samples');

/** What README fragments (blocks without imports of their own) may use. */
const PRELUDE = `
import { Controller, Get, Injectable, Module, Param, Post, UseInterceptors } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import {
  CacheEvict, CacheInterceptor, CacheModule, CacheOptions, CacheService, Cacheable, CachePut,
  InjectCache, NamespaceCache, PersistenceLevel,
} from 'nest-tiered-cache';
declare const existingIoredisClient: Redis;
`;

/** Every \`\`\`ts block of the README, in order. */
function samples(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

describe('README code samples', () => {
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it('all type-check against the library', () => {
    const blocks = samples();
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const files = blocks.map((code, i) => {
      const file = join(OUT, `sample-${i + 1}.ts`);
      const body = /^import /m.test(code) ? code : `${PRELUDE}\nexport {};\n${code}`;
      writeFileSync(file, body);
      return file;
    });
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file && files.includes(diagnostic.file.fileName))
      .map((diagnostic) => {
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        return `${diagnostic.file!.fileName.slice(OUT.length + 1)}:${line + 1} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  });
});
