/**
 * The import graph of src/ and protocol/, read with the TypeScript parser (static imports and
 * re-exports, `import type`, dynamic `import()` and `import('x').T` type queries), plus the sizes
 * of files and functions. Used by layers.test.ts; no module of the package is loaded.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SOURCE_DIRS = ['src', 'protocol'] as const;

export interface ImportEdge {
  /** The importing file, relative to the repository root ('src/netns/manage.ts'). */
  from: string;
  /** The imported file, or the package name for a bare specifier ('ffi-rs'). */
  to: string;
  line: number;
  typeOnly: boolean;
  dynamic: boolean;
}

export interface FunctionSize {
  file: string;
  name: string;
  line: number;
  lines: number;
}

export interface SourceFile {
  path: string;
  lines: number;
  imports: ImportEdge[];
  functions: FunctionSize[];
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listTs(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** './x.js' from src/a/b.ts -> 'src/a/x.ts'; a bare specifier stays as written. */
function resolveSpecifier(from: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const target = relative(ROOT, resolve(ROOT, dirname(from), spec));
  return target.replace(/\.js$/, '.ts');
}

function functionName(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) {
    return parent.name.getText(sf);
  }
  return '(anonymous)';
}

function isFunctionLike(node: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function parseFile(path: string): SourceFile {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: ImportEdge[] = [];
  const functions: FunctionSize[] = [];
  const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const add = (node: ts.Node, spec: ts.Expression | undefined, typeOnly: boolean, dynamic: boolean) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    imports.push({ from: path, to: resolveSpecifier(path, spec.text), line: lineOf(node), typeOnly, dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ?? false, false);
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true, true);
    }
    if (isFunctionLike(node)) {
      const start = lineOf(node);
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      functions.push({ file: path, name: functionName(node, sf), line: start, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { path, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), imports, functions };
}

/** Every .ts file of src/ and protocol/, relative to the repository root. */
export function sourcePaths(): string[] {
  return SOURCE_DIRS.flatMap((d) => listTs(d)).sort();
}

/** Every .ts file of src/ and protocol/, parsed. */
export function readSources(): SourceFile[] {
  return sourcePaths().map(parseFile);
}

/**
 * The import cycles between files: per strongly connected component of more than one file (or a
 * file importing itself), its files and one cycle path through them, as ['a.ts', 'b.ts', 'a.ts'].
 */
export function findCycles(files: readonly string[], edges: readonly Pick<ImportEdge, 'from' | 'to'>[]): { members: string[]; path: string[] }[] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (next.has(e.to) && !next.get(e.from)!.includes(e.to)) next.get(e.from)!.push(e.to);
  // Tarjan's strongly connected components, iterative (no recursion limit on long chains).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of files) {
    if (index.has(root)) continue;
    const work: [string, number][] = [[root, 0]];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [v, i] = top;
      const succ = next.get(v)!;
      if (i < succ.length) {
        top[1]++;
        const w = succ[i]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || next.get(v)!.includes(v)) components.push(component.sort());
      }
    }
  }
  return components.map((members) => ({ members, path: cycleThrough(members, next) }));
}

/** A shortest cycle from the component's first file back to itself, staying inside the component. */
function cycleThrough(component: string[], next: Map<string, string[]>): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  const from = new Map<string, string>();
  const queue = [start];
  for (let k = 0; k < queue.length; k++) {
    const v = queue[k]!;
    for (const w of next.get(v)!) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = from.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component, start];
}
