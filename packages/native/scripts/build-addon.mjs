// Incremental, offline build of the liveframe addon. npm re-runs workspace install scripts on
// every install and turbo runs `build` before tests, so node-gyp only runs when a source is newer
// than the built .node (a full rebuild costs ~30 s on 2 cores).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const output = path.join(packageDir, 'build', 'Release', 'liveframe_native.node');
const force = process.argv.includes('--force');
// `npm pack` (prepack): build, then ship the result for this platform inside the tarball.
const prebuild = process.argv.includes('--prebuild');

/** linux-x64-glibc style tag; musl and other libcs get their own (no prebuilt for them). */
function platformTag() {
  const libc =
    process.platform === 'linux'
      ? process.report?.getReport?.().header?.glibcVersionRuntime
        ? '-glibc'
        : '-musl'
      : '';
  return `${process.platform}-${process.arch}${libc}`;
}
const prebuilt = path.join(packageDir, 'prebuilds', platformTag(), 'liveframe_native.node');

// An installed package with a prebuilt addon for this platform needs no compiler: Node-API is
// ABI-stable, so one build serves every Node version (NAPI_VERSION in binding.gyp).
const inSourceTree =
  existsSync(path.join(packageDir, 'src', 'addon', 'addon-module.cc')) &&
  existsSync(path.join(packageDir, 'tsconfig.json'));
if (!prebuild && !force && existsSync(prebuilt) && !inSourceTree) {
  process.exit(0);
}

function newestSourceMtime() {
  let newest = statSync(path.join(packageDir, 'binding.gyp')).mtimeMs;
  const addonDir = path.join(packageDir, 'src', 'addon');
  for (const name of readdirSync(addonDir)) {
    newest = Math.max(newest, statSync(path.join(addonDir, name)).mtimeMs);
  }
  return newest;
}

if (!force && existsSync(output) && statSync(output).mtimeMs >= newestSourceMtime()) {
  if (prebuild) copyPrebuilt();
  process.exit(0);
}

function copyPrebuilt() {
  mkdirSync(path.dirname(prebuilt), { recursive: true });
  copyFileSync(output, prebuilt);
  console.log(`@liveframe/native: prebuilt ${path.relative(packageDir, prebuilt)}`);
}

const require = createRequire(import.meta.url);
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
// The directory above bin/node holds include/node: pointing node-gyp there keeps it offline.
const nodedir = path.dirname(path.dirname(process.execPath));
function nodeGypRun(args) {
  const result = spawnSync(process.execPath, [nodeGyp, ...args, `--nodedir=${nodedir}`], {
    cwd: packageDir,
    stdio: 'inherit',
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  if (result.status !== 0) {
    console.error(`@liveframe/native: node-gyp ${args[0]} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

// make itself is incremental; only regenerate the Makefile when binding.gyp changed.
const makefile = path.join(packageDir, 'build', 'Makefile');
const gypFile = path.join(packageDir, 'binding.gyp');
if (force || !existsSync(makefile) || statSync(makefile).mtimeMs < statSync(gypFile).mtimeMs) {
  nodeGypRun(['configure']);
}
nodeGypRun(['build', '-j', '2']);
if (prebuild) copyPrebuilt();
