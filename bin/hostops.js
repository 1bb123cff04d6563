#!/usr/bin/env node
// Scripts and monitoring ask `hostops --version` often: answer from package.json before loading
// the CLI (commander and the module graph cost more than Node's own start-up).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(
    `${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`,
  );
} else {
  const { main } = await import('../dist/cli/main.js');
  const code = await main(process.argv);
  if (typeof code === 'number') process.exitCode = code;
}
