import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Issue 13's rule for core: no function longer than ~80 lines unless a comment right above it says
 * why ("Long because …" or "Longer than ~80 lines on purpose: …", e.g. a table with one entry per contract method). Measured on the
 * TypeScript syntax tree, so arrow functions, methods and nested functions all count.
 */
const LIMIT = 80;

function longFunctions(): string[] {
  const files = execSync("git ls-files 'src-main/core/*.ts' 'src-main/core/**/*.ts'", { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart()).line;
        const end = sf.getLineAndCharacterOfPosition(node.end).line;
        if (end - start + 1 > LIMIT) {
          // The comment may sit on the function, or on the statement/property that holds it.
          let holder: ts.Node = node;
          while (holder.parent && !ts.isSourceFile(holder.parent) && !ts.isBlock(holder.parent) && !ts.isClassLike(holder.parent) && !ts.isObjectLiteralExpression(holder.parent)) holder = holder.parent;
          const comments = (ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? []).map((r) => text.slice(r.pos, r.end));
          if (!comments.some((c) => /\blong(er)?\b[^.]*\b(because|on purpose)\b/i.test(c))) found.push(`${file}:${start + 1} (${end - start + 1} lines)`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

describe('core functions', () => {
  it(`are at most ${LIMIT} lines, or say why above them ("Long because …")`, () => {
    expect(longFunctions()).toEqual([]);
  });
});
