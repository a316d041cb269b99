#!/usr/bin/env node
// `tsc -p tsconfig.standin.json`, with one difference tsc cannot be told: Electron's declarations
// (which the stand-in's surface types are made of) also declare the ambient module 'electron', and an
// ambient module wins over `paths`. This compiles the project with those few `declare module
// 'electron…'` blocks left out of node_modules/electron/electron.d.ts (in memory), so that `electron`
// in the shell's sources is the stand-in (test/electron-standin/module.ts) and the global `Electron`
// namespace still gives the stand-in its types. Part of `npm run typecheck`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const configFile = path.join(root, 'tsconfig.standin.json');
const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => report([d]) });
if (!parsed) process.exit(1);

const ambient = /declare module 'electron(?:\/[a-z]+)?' \{\s*export = [\w.]+;\s*\}/g;
const host = ts.createCompilerHost(parsed.options);
const readFile = host.readFile.bind(host);
let stripped = 0;
host.readFile = (fileName) => {
  const text = readFile(fileName);
  if (text === undefined || !/[\\/]node_modules[\\/]electron[\\/]electron\.d\.ts$/.test(fileName)) return text;
  return text.replace(ambient, () => {
    stripped += 1;
    return '';
  });
};

const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host, projectReferences: parsed.projectReferences });
const diagnostics = ts.getPreEmitDiagnostics(program);
if (stripped === 0) {
  process.stderr.write('typecheck-shell: node_modules/electron/electron.d.ts declares no `module \'electron\'` any more; update this script\n');
  process.exit(1);
}
const standin = program.getSourceFile(path.join(root, 'test', 'electron-standin', 'module.ts'));
if (!standin) {
  process.stderr.write('typecheck-shell: the shell was not compiled against test/electron-standin/module.ts\n');
  process.exit(1);
}
report(diagnostics);
process.exit(diagnostics.length > 0 ? 1 : 0);

function report(list) {
  if (list.length === 0) return;
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(list, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
}
