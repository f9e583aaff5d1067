import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

describe('the socket event docs', () => {
  // The generator builds a TypeScript program of the event maps: seconds, more on a loaded machine.
  jest.setTimeout(120_000);

  it('docs/asyncapi.yaml and the README event tables are what the event maps generate', () => {
    // --check regenerates both in memory and compares them with the committed files; it writes nothing
    const run = spawnSync(process.execPath, ['scripts/generate-event-docs.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(run.stderr || `the generator exited with ${run.status}`);
  });
});
