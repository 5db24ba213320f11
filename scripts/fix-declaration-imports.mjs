// tsc rewrites relative `.ts` specifiers to `.js` in emitted JavaScript
// (rewriteRelativeImportExtensions) but leaves them as written in declaration files. TypeScript
// 5.x resolves `./x.ts` in a .d.ts to `./x.d.ts`, older releases and other tools may not, so the
// published declarations name `.js` like the code next to them. Usage: node fix-declaration-imports.mjs dist
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RELATIVE_TS = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.(ts|tsx|mts)(['"])/g;
const EXTENSION = { ts: 'js', tsx: 'js', mts: 'mjs' };

function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith('.d.ts') || entry.endsWith('.d.mts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(
        RELATIVE_TS,
        (_m, head, base, ext, tail) => `${head}${base}.${EXTENSION[ext]}${tail}`,
      );
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

const target = process.argv[2];
if (target === undefined) {
  console.error('usage: node fix-declaration-imports.mjs <dist dir>');
  process.exit(2);
}
walk(target);
