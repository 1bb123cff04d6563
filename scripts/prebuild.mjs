// `npm pack` (prepack / postpack): make the tarball installable without a compiler or network.
//   prepack:  build the addons from the current C sources (node-gyp build, or rebuild when unconfigured) and copy them to prebuilds/<platform>-<arch>/;
//             give the bundled better-sqlite3 a local prebuild of its compiled binary (its installer,
//             prebuild-install, looks in its own prebuilds/ before downloading: offline, no compiler,
//             for this Node ABI), and move its build intermediates (objects, static library,
//             test extension: 15 MB) aside. Its package.json `files` would leave both binaries out of
//             the bundle, so they are added there for the pack.
//   postpack: undo both, so node_modules is as it was.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ADDONS, prebuildDir as dir, root, runNodeGyp } from './native-addons.mjs';

const aside = path.join(root, 'node_modules', '.hostops-pack-aside');
const sqliteDir = path.join(root, 'node_modules', 'better-sqlite3');
const sqliteRelease = path.join(sqliteDir, 'build', 'Release');
const INTERMEDIATES = ['obj', 'obj.target', '.deps', 'sqlite3.a', 'test_extension.node'];
const log = (m) => process.stderr.write(`hostops pack: ${m}\n`);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    log(`${cmd} ${args.join(' ')} failed`);
    process.exit(r.status ?? 1);
  }
}

/** The name prebuild-install looks for: {name}-v{version}-{runtime}-v{abi}-{platform}{libc}-{arch}.tar.gz */
function sqlitePrebuild() {
  const { version } = JSON.parse(fs.readFileSync(path.join(sqliteDir, 'package.json'), 'utf8'));
  return path.join(
    sqliteDir,
    'prebuilds',
    `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`,
  );
}

function restore() {
  const local = sqlitePrebuild();
  if (fs.existsSync(local)) {
    fs.rmSync(local);
    if (fs.readdirSync(path.dirname(local)).length === 0) fs.rmdirSync(path.dirname(local));
  }
  if (!fs.existsSync(aside)) return;
  const pkg = path.join(aside, 'package.json');
  if (fs.existsSync(pkg)) fs.renameSync(pkg, path.join(sqliteDir, 'package.json'));
  for (const n of fs.readdirSync(aside))
    fs.renameSync(path.join(aside, n), path.join(sqliteRelease, n));
  fs.rmdirSync(aside);
}

function prepack() {
  restore(); // a pack that died half-way left them aside
  // incremental when build/ is configured for the current binding.gyp: make rebuilds what changed
  // and leaves current addons untouched (tests may be loading them)
  const mk = path.join(root, 'build', 'Makefile');
  const fresh =
    fs.existsSync(mk) &&
    fs.statSync(mk).mtimeMs >= fs.statSync(path.join(root, 'binding.gyp')).mtimeMs;
  const verb = fresh ? 'build' : 'rebuild';
  const built = runNodeGyp([verb]);
  if (built.status !== 0) {
    log(`node-gyp ${verb} failed`);
    process.exit(built.status ?? 1);
  }
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const n of ADDONS) {
    const to = path.join(dir, `${n}.node`);
    fs.copyFileSync(path.join(root, 'build', 'Release', `${n}.node`), to);
    spawnSync('strip', ['--strip-unneeded', to]); // symbols only; without strip the file just stays bigger
  }
  log(`prebuilt addons in ${path.relative(root, dir)}`);
  const bin = path.join(sqliteRelease, 'better_sqlite3.node');
  if (!fs.existsSync(bin)) {
    log(`${bin} is missing: run npm ci first (the tarball bundles it)`);
    process.exit(1);
  }
  const local = sqlitePrebuild();
  fs.mkdirSync(path.dirname(local), { recursive: true });
  run('tar', ['-czf', local, '-C', sqliteDir, 'build/Release/better_sqlite3.node']);
  log(
    `better-sqlite3 prebuild for Node ABI ${process.versions.modules} (Node ${process.versions.node.split('.')[0]}.x): ${path.relative(root, local)}`,
  );
  fs.mkdirSync(aside, { recursive: true });
  for (const n of INTERMEDIATES) {
    if (fs.existsSync(path.join(sqliteRelease, n)))
      fs.renameSync(path.join(sqliteRelease, n), path.join(aside, n));
  }
  const pkgFile = path.join(sqliteDir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  fs.copyFileSync(pkgFile, path.join(aside, 'package.json'));
  pkg.files = [...(pkg.files ?? []), 'prebuilds/*.tar.gz', 'build/Release/better_sqlite3.node'];
  fs.writeFileSync(`${pkgFile}.hostops-tmp`, JSON.stringify(pkg, null, 2) + '\n');
  fs.renameSync(`${pkgFile}.hostops-tmp`, pkgFile); // never a half-written package.json for a running test
}

if (process.argv[2] === 'prepack') prepack();
else if (process.argv[2] === 'postpack') restore();
else {
  log('usage: prebuild.mjs prepack|postpack');
  process.exit(2);
}
