import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule } from 'nest-tiered-cache';
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

describe("README's method caching example, run as written", () => {
  let app: INestApplicationContext;
  let users: {
    findOne(id: string): Promise<{ id: string; name: string }>;
    rename(id: string, name: string): Promise<{ id: string; name: string }>;
    remove(id: string): Promise<void>;
  };

  beforeAll(async () => {
    const block = samples().find((code) => code.includes('export class UsersService'));
    if (block === undefined) throw new Error('the README has no UsersService example');
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, 'method-caching.ts');
    writeFileSync(file, block);
    const { UsersService } = (await import(file)) as { UsersService: Type };
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespaces: ['users'] })],
      providers: [UsersService],
    }).compile();
    app = await moduleRef.init();
    users = app.get(UsersService);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(OUT, { recursive: true, force: true });
  });

  it('serves a rename from the cache, and the database again after a remove', async () => {
    expect(await users.findOne('1')).toEqual({ id: '1', name: 'from the database' });
    await users.rename('1', 'Grace');
    expect(await users.findOne('1')).toEqual({ id: '1', name: 'Grace' });
    await users.remove('1');
    expect(await users.findOne('1')).toEqual({ id: '1', name: 'from the database' });
  });
});
