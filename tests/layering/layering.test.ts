import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering DESIGN.md asks for, checked on the sources: apps, examples and e2e use the
 * framework only through the packages' public exports (`exports` in each package.json), and no
 * package reaches into another package's files or into an app.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Workspace {
  readonly dir: string;
  readonly name: string;
  readonly exports: ReadonlySet<string>;
  readonly kind: 'package' | 'app';
}

function workspaces(): Workspace[] {
  const out: Workspace[] = [];
  for (const [parent, kind] of [
    ['packages', 'package'],
    ['apps', 'app'],
  ] as const) {
    for (const name of readdirSync(join(root, parent))) {
      const dir = join(root, parent, name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        exports?: Record<string, unknown> | string;
      };
      const keys =
        typeof manifest.exports === 'object' ? Object.keys(manifest.exports) : manifest.exports ? ['.'] : [];
      out.push({ dir, name: manifest.name, exports: new Set(keys), kind });
    }
  }
  for (const name of ['e2e', 'examples']) {
    const manifest = JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8')) as { name: string };
    out.push({ dir: join(root, name), name: manifest.name, exports: new Set(), kind: 'app' });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (['node_modules', 'dist', 'build', 'prebuilds', 'artifacts', 'results'].includes(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const SPECIFIER = /(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function violations(): string[] {
  const all = workspaces();
  const byName = new Map(all.map((w) => [w.name, w]));
  const problems: string[] = [];
  for (const workspace of all) {
    for (const file of sourceFiles(workspace.dir)) {
      const text = readFileSync(file, 'utf8');
      const where = relative(root, file);
      for (const match of text.matchAll(SPECIFIER)) {
        const specifier = match[1] ?? match[2]!;
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (!(target + sep).startsWith(workspace.dir + sep)) {
            problems.push(`${where}: relative import leaves its workspace: ${specifier}`);
          }
          continue;
        }
        const parts = specifier.split('/');
        if (parts[0] !== '@liveframe' || parts[1] === undefined) continue;
        const name = `@liveframe/${parts[1]}`;
        const subpath = parts.length > 2 ? `./${parts.slice(2).join('/')}` : '.';
        const target = byName.get(name);
        if (target === undefined) problems.push(`${where}: unknown workspace ${name}`);
        else if (!target.exports.has(subpath)) {
          problems.push(`${where}: ${specifier} is not a public export of ${name}`);
        } else if (workspace.kind === 'package' && target.kind === 'app') {
          problems.push(`${where}: a package imports the app ${name}`);
        }
      }
    }
  }
  return problems;
}

describe('layering', () => {
  it('apps, examples and e2e use packages through their public exports only; packages never import apps', () => {
    expect(violations()).toEqual([]);
  });

  it('would notice a deep import (the check itself works)', () => {
    const deep = "import { x } from '@liveframe/server/src/live/live-sessions.ts';";
    const matches = [...deep.matchAll(SPECIFIER)].map((m) => m[1]);
    expect(matches).toEqual(['@liveframe/server/src/live/live-sessions.ts']);
  });
});
