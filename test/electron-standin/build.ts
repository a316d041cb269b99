import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

/**
 * The shell side of the stand-in runs as plain JavaScript under Node 20 (which cannot run TypeScript):
 * its files are transpiled, one by one, into a temporary folder (`npm run typecheck` type-checks them
 * as part of tsconfig.test.json). They import only each other and Node's built-ins.
 */
const HERE = import.meta.dirname;
const SHELL_SIDE = ['control.ts', 'electron.ts', 'hooks.ts', 'launcher.ts', 'utility-child.ts'];

export interface StandinBuild {
  dir: string;
  launcher: string;
  dispose(): void;
}

export function buildStandin(): StandinBuild {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-standin-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const file of SHELL_SIDE) {
    const source = fs.readFileSync(path.join(HERE, file), 'utf8');
    const out = ts.transpileModule(source, {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
    });
    if (out.diagnostics?.length) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(out.diagnostics[0]!.messageText, '\n')}`);
    fs.writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), out.outputText);
  }
  return { dir, launcher: path.join(dir, 'launcher.js'), dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
