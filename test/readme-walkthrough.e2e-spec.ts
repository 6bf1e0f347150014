import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DemoProcess } from './servers/demo-process';
import { clearOfMinuteBoundary } from './servers/minute-boundary';

/** The README's demo walkthrough: the block after `<!-- demo-walkthrough -->`. */
function walkthrough(): string {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /<!-- demo-walkthrough -->\n```bash\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no demo walkthrough block');
  return block[1];
}

describe("the README's demo walkthrough", () => {
  let dir: string;
  let demo: DemoProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'walkthrough-'));
    demo = await DemoProcess.start({ SQLITE_PATH: join(dir, 'demo.sqlite') });
  }, 120_000);

  afterAll(async () => {
    await demo?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs as written against a fresh demo, showing each feature', async () => {
    // Its rate-limit loop expects all its posts in one minute.
    await clearOfMinuteBoundary(10_000);
    const script = walkthrough().replaceAll('localhost:3000', new URL(demo.url).host);
    // Every `curl -f` fails the script on an error status; pipefail catches a failed grep.
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      timeout: 60_000,
    });
    expect(stdout).toMatch(/x-cache: MISS\s+x-cache: HIT/i);
    expect(stdout).toContain('"name":"Alan Turing"');
    // Members (three hits in one getMany), the session's time left, a topic.
    expect(stdout).toContain('{"id":3,"name":"Grace Hopper","role":"member"}]');
    expect(stdout).toMatch(/"expiresInMs":8\d{7}\}/);
    expect(stdout).toContain('"title":"Difference engine"');
    expect(stdout).toContain('"text":"Machines will think"');
    expect(stdout).toContain('"topic":"engines"');
    expect(stdout).toContain('{"userIds":[1]}');
    expect(stdout).toContain('[{"kind":"delete-chat","chatId":1,"userId":1}]');
    expect(stdout).toContain('"email":"kay@example.com"');
    expect(stdout).toMatch(/(201 ){19}429/);
    expect(stdout).toContain('"ran":true');
    expect(stdout).toContain('"status":"up"');
    // /me and /users/2, the three members, none of them loaded.
    expect(stdout).toContain('cache_hits_total{namespace="userRecords"} 5');
  }, 120_000);
});
