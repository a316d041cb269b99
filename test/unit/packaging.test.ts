import { execFile } from 'node:child_process';
import { constants as fsConstants, readFileSync } from 'node:fs';
import { access, chmod, copyFile, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Configuration, FileSet } from 'electron-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_NAME } from '../../src-main/core/paths.js';

/*
 * electron-builder.yml checked with electron-builder's own machinery, never a hand-written copy of its
 * rules: its config loader and schema validation (app-builder-lib's getConfig + validateConfiguration,
 * the ajv check `electron-builder` runs before packaging), its file matcher for what goes into
 * app.asar, its icon resolver, its fuse mapping onto @electron/fuses, and its deb metadata check.
 * Nothing here downloads or runs Electron; packaging itself is `npm run dist` on a release machine.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG_FILE = 'electron-builder.yml';
const run = promisify(execFile);

// Resolve electron-builder's internals the way electron-builder itself does (from its own folder).
const requireFromProject = createRequire(path.join(ROOT, 'package.json'));
const requireFromBuilder = createRequire(requireFromProject.resolve('electron-builder/package.json'));
const APP_BUILDER_LIB = path.dirname(requireFromBuilder.resolve('app-builder-lib/package.json'));
const requireFromLib = createRequire(path.join(APP_BUILDER_LIB, 'package.json'));

type Filter = (file: string, stat: unknown) => boolean;
interface FileMatcher {
  readonly from: string;
  readonly to: string;
  readonly patterns: string[];
  createFilter(): Filter;
}
interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
}
interface FileMatcherModule {
  getMainFileMatchers(
    appDir: string,
    destination: string,
    macroExpander: (pattern: string) => string,
    platformSpecificBuildOptions: object,
    platformPackager: object,
    outDir: string,
    isElectronCompile: boolean,
  ): FileMatcher[];
  getFileMatchers(
    config: Configuration,
    name: 'extraResources',
    defaultDestination: string,
    options: { macroExpander: (pattern: string) => string; customBuildOptions: object; globalOutDir: string; defaultSrc: string },
  ): FileMatcher[] | null;
}
interface IconInfo {
  file: string;
  size: number;
}
interface IconConverterModule {
  convertIcon(options: { sources: string[]; fallbackSources: string[]; roots: string[]; format: 'set' | 'icns' | 'ico'; outDir: string }): Promise<{ icons: IconInfo[]; isFallback: boolean }>;
}
interface AppInfo {
  readonly productName: string;
  readonly productFilename: string;
  readonly sanitizedProductName: string;
}
interface AppBuilderLib {
  AppInfo: new (info: object, buildVersion: string | null, platformSpecificOptions: object | null) => AppInfo;
  PlatformPackager: { prototype: { generateFuseConfig(fuses: object): Promise<Record<string, unknown>> } };
}
interface FpmTargetClass {
  prototype: { computeFpmMetaInfoOptions(): Promise<{ maintainer: string; url: string }> };
}

// The package index first: app-builder-lib's modules import each other in a cycle that only resolves from there.
const lib = requireFromBuilder('app-builder-lib') as AppBuilderLib;
const configModule = requireFromBuilder('app-builder-lib/out/util/config/config.js') as ConfigModule;
const fileMatcherModule = requireFromBuilder('app-builder-lib/out/fileMatcher.js') as FileMatcherModule;
const iconConverter = requireFromBuilder('app-builder-lib/out/util/iconConverter.js') as IconConverterModule;
const FpmTarget = (requireFromBuilder('app-builder-lib/out/targets/FpmTarget.js') as { default: FpmTargetClass }).default;
const { checkMetadata } = requireFromBuilder('app-builder-lib/out/util/packageMetadata.js') as {
  checkMetadata(metadata: object, devMetadata: object, appPackageFile: string, devAppPackageFile: string): void;
};
const { DebugLogger, walk } = requireFromLib('builder-util') as {
  DebugLogger: new (enabled: boolean) => unknown;
  walk(dir: string, filter: Filter): Promise<string[]>;
};
const { FuseV1Options } = requireFromLib('@electron/fuses') as { FuseV1Options: Record<string, number> };

interface PackageJson {
  name: string;
  productName?: string;
  version: string;
  description?: string;
  main?: string;
  homepage?: string;
  desktopName?: string;
  author?: { name?: string; email?: string };
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
}

// Read now, not in beforeAll: whether package.json names a main entry decides which tests run.
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
let tmp: string;
let config: Configuration;

async function loadConfig(projectDir: string): Promise<Configuration> {
  return configModule.getConfig(projectDir, CONFIG_FILE, null);
}

async function validate(candidate: Configuration): Promise<void> {
  await configModule.validateConfiguration(candidate, new DebugLogger(false));
}

/** The files electron-builder would put into app.asar from `dir`, as sorted project-relative paths. */
async function packagedFiles(dir: string, cfg: Configuration): Promise<string[]> {
  const packager = {
    info: {
      isPrepackedAppAsar: false,
      projectDir: dir,
      buildResourcesDir: cfg.directories?.buildResources ?? 'build',
      config: cfg,
      debugLogger: { isEnabled: false },
    },
  };
  const outDir = path.join(dir, cfg.directories?.output ?? 'dist');
  const matchers = fileMatcherModule.getMainFileMatchers(dir, path.join(tmp, 'app'), (p) => p, {}, packager, outDir, false);
  expect(matchers).toHaveLength(1);
  const files = await walk(dir, matchers[0]!.createFilter());
  return files.map((f) => path.relative(dir, f).split(path.sep).join('/')).sort();
}

function asFileSets(value: Configuration['extraResources']): FileSet[] {
  const list = value == null ? [] : Array.isArray(value) ? value : [value];
  return list.map((entry) => (typeof entry === 'string' ? { from: entry } : entry));
}

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'vela-packaging-')));
  config = await loadConfig(ROOT);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('electron-builder.yml against electron-builder itself', () => {
  it('is found by electron-builder\'s config loader and passes its schema validation', async () => {
    expect(config.appId).toBe('com.velacompanion.app');
    await expect(validate(config)).resolves.toBeUndefined();
  });

  it.each([
    ['an unknown top-level key', (yml: string) => `${yml}\nfusesElectron: {}\n`, /unknown property 'fusesElectron'/],
    // For these two electron-builder's message names the section, not the key (its anyOf with null).
    ['a misspelled fuse', (yml: string) => yml.replace('  runAsNode: true', '  runAsNodee: true'), /configuration\.electronFuses\b/],
    ['a misspelled nsis option', (yml: string) => yml.replace('  oneClick: false', '  oneclick: false'), /configuration\.nsis\b/],
    ['a value of the wrong type', (yml: string) => yml.replace(/^asar: true$/m, 'asar: yes please'), /configuration\.asar/],
  ])('rejects a copy with %s', async (_what, breakIt, message) => {
    const yml = await readFile(path.join(ROOT, CONFIG_FILE), 'utf8');
    const broken = breakIt(yml);
    expect(broken).not.toBe(yml);
    const dir = await mkdtemp(path.join(tmp, 'broken-'));
    await writeFile(path.join(dir, CONFIG_FILE), broken);
    await copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    const loaded = await loadConfig(dir);
    await expect(validate(loaded)).rejects.toThrow(message);
  });

  it('package.json has what electron-builder asks of it, including the deb maintainer and homepage', async () => {
    expect(() => checkMetadata(pkg, pkg, 'package.json', 'package.json')).not.toThrow();
    expect(pkg.description).toBeTruthy();
    const appInfo = new lib.AppInfo({ metadata: pkg, devMetadata: pkg, config, repositoryInfo: Promise.resolve(null) }, null, config.linux ?? null);
    const fpm = await FpmTarget.prototype.computeFpmMetaInfoOptions.call({
      packager: { appInfo, info: { metadata: pkg } },
      options: { ...config.linux, ...config.deb },
    } as never);
    expect(fpm.maintainer).toMatch(/^.+ <.+@.+>$/);
    expect(fpm.url).toBe(pkg.homepage);
  });

  it('one product name everywhere: config, package.json (Electron\'s app name) and the data folder', () => {
    expect(config.productName).toBe('Vela Companion');
    expect(pkg.productName).toBe(config.productName);
    expect(APP_NAME).toBe(config.productName);
    expect(pkg.desktopName).toBe(`${config.linux?.executableName}.desktop`);
  });

  it('targets AppImage and deb on Linux, dmg on macOS, nsis on Windows; publishes nothing', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toBe('dmg');
    expect(config.win?.target).toBe('nsis');
    expect(config.publish).toBeNull();
    expect(config.directories).toEqual({ output: 'release', buildResources: 'build' });
  });

  it('sets the platform options the release needs', () => {
    expect(config.linux?.category).toBe('Utility');
    expect(config.linux?.synopsis).toBeTruthy();
    expect(config.mac?.category).toBe('public.app-category.utilities');
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.nsis).toMatchObject({ oneClick: false, allowToChangeInstallationDirectory: true });
  });
});

describe('what goes into app.asar', () => {
  const ALLOWED = /^(?:dist\/(?:electron|src-main|src-shared|renderer)\/.+|bin\/vela-companion\.js|package\.json)$/;

  it('lists only built output in files, with asar on', () => {
    expect(config.asar).toBe(true);
    // electron-builder's loader turns the list into file sets; ours is one, from the project root.
    const sets = (Array.isArray(config.files) ? config.files : [config.files]).map((f) => (typeof f === 'string' ? { filter: [f] } : f));
    expect(sets.every((set) => set != null && set.from === undefined && set.to === undefined)).toBe(true);
    const patterns = sets.flatMap((set) => [set?.filter ?? []].flat());
    const includes = patterns.filter((p) => !p.startsWith('!'));
    expect(includes).toEqual(['dist/electron/**/*', 'dist/src-main/**/*', 'dist/src-shared/**/*', 'dist/renderer/**/*', 'bin/vela-companion.js', 'package.json']);
    for (const pattern of includes) {
      expect(pattern).toMatch(/^(?:dist\/[a-z-]+\/|bin\/|package\.json$)/);
      expect(pattern).not.toMatch(/^(?:src-[a-z]+|test|coverage|\.cache|node_modules)(?:\/|$)|\.tsx?$/);
    }
    expect(patterns).toEqual(expect.arrayContaining(['!**/*.map', '!**/*.{ts,cts,mts,tsx}']));
  });

  it('electron-builder\'s own matcher takes built files and leaves out sources, tests, maps and caches', async () => {
    // A made-up project tree with one of everything, matched with the real config.
    const dir = await mkdtemp(path.join(tmp, 'tree-'));
    const tree = [
      'package.json', 'package-lock.json', 'README.md', 'electron-builder.yml', 'tsconfig.json', 'vite.config.ts',
      'bin/vela-companion.js',
      'dist/electron/main.js', 'dist/electron/main.js.map', 'dist/electron/preload.cjs',
      'dist/src-main/cli/main.js', 'dist/src-main/cli/main.js.map', 'dist/src-main/quickapp/system-request-cjs.cjs',
      'dist/src-shared/codes.js', 'dist/src-shared/codes.d.ts', 'dist/src-shared/codes.js.map',
      'dist/renderer/index.html', 'dist/renderer/assets/index-abc.js', 'dist/renderer/assets/index-abc.js.map',
      'dist/other/stray.js', 'dist/tsconfig.tsbuildinfo',
      'src-main/cli/main.ts', 'src-shared/codes.ts', 'src-renderer/App.vue',
      'test/unit/a.test.ts', 'docs/packaging.md', 'scripts/make-icons.sh',
      'build/icon.png', 'build/cli/vela-companion', 'release/old.AppImage', 'coverage/index.html',
      '.cache/x', 'node_modules/.vite/deps/x.js', 'node_modules/got/index.js',
    ];
    for (const file of tree) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), file === 'package.json' ? JSON.stringify({ name: 'vela-companion' }) : '');
    }
    expect(await packagedFiles(dir, config)).toEqual([
      'bin/vela-companion.js',
      'dist/electron/main.js',
      'dist/electron/preload.cjs',
      'dist/renderer/assets/index-abc.js',
      'dist/renderer/index.html',
      'dist/src-main/cli/main.js',
      'dist/src-main/quickapp/system-request-cjs.cjs',
      'dist/src-shared/codes.js',
      'package.json',
    ]);
  });

  it('from this project it takes the built CLI and nothing but built output', async () => {
    // vitest's global setup has just run `npm run build`.
    const files = await packagedFiles(ROOT, config);
    expect(files).toContain('package.json');
    expect(files).toContain('bin/vela-companion.js');
    expect(files).toContain('dist/src-main/cli/main.js');
    expect(files).toContain('dist/renderer/index.html');
    for (const file of files) {
      expect(file).toMatch(ALLOWED);
      expect(file).not.toMatch(/\.(?:map|ts|cts|mts|tsx|tsbuildinfo)$/);
    }
  });

  it.skipIf(pkg.main === undefined)('packages the Electron entry that package.json main names', async () => {
    expect(pkg.main).toMatch(/^dist\/electron\/.+\.[cm]?js$/);
    const files = await packagedFiles(ROOT, config);
    expect(files).toContain(pkg.main);
  });

  it('packages the engine process\'s entry, which main starts with utilityProcess.fork', async () => {
    const files = await packagedFiles(ROOT, config);
    for (const file of ['entry.js', 'serve.js', 'parent-link.js', 'protocol.js', 'client.js']) {
      expect(files).toContain(`dist/src-main/engine-process/${file}`);
    }
  });
});

describe('icons in build/', () => {
  const SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];
  const buildDir = path.join(ROOT, 'build');
  const roots = [buildDir, ROOT];

  it('has one source image', async () => {
    const svg = await readFile(path.join(buildDir, 'icon.svg'), 'utf8');
    expect(svg).toMatch(/<svg[^>]+viewBox="0 0 1024 1024"/);
    expect(svg).toContain('#FF6900');
  });

  it('Linux: electron-builder\'s icon resolver finds every size in the configured icon set', async () => {
    expect(config.linux?.icon).toBe('build/icons');
    for (const size of SIZES) await access(path.join(buildDir, 'icons', `${size}x${size}.png`));
    const { icons, isFallback } = await iconConverter.convertIcon({
      sources: [config.linux!.icon!], fallbackSources: [], roots, format: 'set', outDir: path.join(tmp, 'icon-set'),
    });
    expect(isFallback).toBe(false);
    expect(icons.map((i) => i.size)).toEqual(SIZES);
    for (const icon of icons) {
      const png = await readFile(icon.file);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([icon.size, icon.size]);
    }
    const fallback = await readFile(path.join(buildDir, 'icon.png'));
    expect([fallback.readUInt32BE(16), fallback.readUInt32BE(20)]).toEqual([1024, 1024]);
  });

  it('Windows: the .ico is taken as is (electron-builder checks it holds 256x256) and has the small sizes too', async () => {
    expect(config.win?.icon).toBe('build/icon.ico');
    await access(path.join(ROOT, config.win!.icon!));
    const { icons, isFallback } = await iconConverter.convertIcon({
      sources: [config.win!.icon!], fallbackSources: [], roots, format: 'ico', outDir: path.join(tmp, 'icon-ico'),
    });
    expect(isFallback).toBe(false);
    expect(icons).toEqual([{ file: path.join(ROOT, 'build', 'icon.ico'), size: 256 }]);
    const ico = await readFile(path.join(ROOT, config.win!.icon!));
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + i * 16] || 256);
    expect(sizes).toEqual(expect.arrayContaining([16, 24, 32, 48, 64, 128, 256]));
  });

  it('macOS: the .icns is taken as is and holds 16 to 1024 pixels', async () => {
    expect(config.mac?.icon).toBe('build/icon.icns');
    await access(path.join(ROOT, config.mac!.icon!));
    const { icons, isFallback } = await iconConverter.convertIcon({
      sources: [config.mac!.icon!], fallbackSources: [], roots, format: 'icns', outDir: path.join(tmp, 'icon-icns'),
    });
    expect(isFallback).toBe(false);
    expect(icons[0]?.file).toBe(path.join(ROOT, 'build', 'icon.icns'));
    const icns = await readFile(path.join(ROOT, config.mac!.icon!));
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) types.push(icns.subarray(at, at + 4).toString('latin1'));
    // is32 16px, il32 32px, it32 128px, ic08 256px, ic09 512px, ic10 1024px (512@2x)
    expect(types).toEqual(expect.arrayContaining(['is32', 'il32', 'it32', 'ic08', 'ic09', 'ic10']));
  });
});

describe('electron fuses', () => {
  it('map onto @electron/fuses as docs/packaging.md says', async () => {
    const fuseConfig = await lib.PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses!);
    const wire = (name: string): unknown => fuseConfig[String(FuseV1Options[name])];
    expect(wire('RunAsNode')).toBe(true); // the vela-companion command runs the app binary as Node
    expect(wire('EnableCookieEncryption')).toBe(true);
    expect(wire('EnableNodeOptionsEnvironmentVariable')).toBe(false);
    expect(wire('EnableNodeCliInspectArguments')).toBe(false);
    expect(wire('EnableEmbeddedAsarIntegrityValidation')).toBe(true);
    expect(wire('OnlyLoadAppFromAsar')).toBe(true);
    expect(wire('LoadBrowserProcessSpecificV8Snapshot')).toBe(false);
    expect(wire('GrantFileProtocolExtraPrivileges')).toBe(false);
    // Every fuse this @electron/fuses knows is set explicitly, none left to Electron's default.
    const known = Object.values(FuseV1Options).filter((v): v is number => typeof v === 'number');
    for (const index of known) expect(typeof fuseConfig[String(index)]).toBe('boolean');
    expect(fuseConfig.resetAdHocDarwinSignature).toBe(true);
  });

  it('onlyLoadAppFromAsar goes with asar: true', () => {
    expect(config.electronFuses?.onlyLoadAppFromAsar).toBe(true);
    expect(config.asar).toBe(true);
  });
});

describe('the vela-companion command shipped alongside', () => {
  const matchersFor = (platform: 'linux' | 'mac' | 'win'): FileMatcher[] =>
    fileMatcherModule.getFileMatchers(config, 'extraResources', '/resources', {
      macroExpander: (p) => p,
      customBuildOptions: config[platform] ?? {},
      globalOutDir: path.join(ROOT, 'release'),
      defaultSrc: ROOT,
    }) ?? [];

  it.each([
    ['linux', 'build/cli/vela-companion', '/resources/bin/vela-companion'],
    ['mac', 'build/cli/vela-companion', '/resources/bin/vela-companion'],
    ['win', 'build/cli/vela-companion.cmd', '/resources/bin/vela-companion.cmd'],
  ] as const)('%s: electron-builder copies %s to %s', async (platform, from, to) => {
    expect(asFileSets(config.extraResources)).toEqual([]);
    expect(matchersFor(platform).map((m) => [m.from, m.to])).toEqual([[path.join(ROOT, from), to]]);
    await access(path.join(ROOT, from));
  });

  it('the POSIX launcher is executable and runs app.asar/bin/vela-companion.js with the app binary as Node', async () => {
    await access(path.join(ROOT, 'build/cli/vela-companion'), fsConstants.X_OK);
    const script = await readFile(path.join(ROOT, 'build/cli/vela-companion'), 'utf8');
    expect(script).toContain('ELECTRON_RUN_AS_NODE=1');
    expect(script).toContain('"$resources/app.asar/bin/vela-companion.js"');
    expect(script).toContain(`/${config.linux?.executableName}`);
    const mac = new lib.AppInfo({ metadata: pkg, config }, null, config.mac ?? null);
    expect(script).toContain(`/MacOS/${mac.productFilename.replace(/ /g, '\\ ')}`);
    expect(pkg.bin?.['vela-companion']).toBe('bin/vela-companion.js');
  });

  it('the Windows launcher names the exe electron-builder makes and keeps CRLF line ends', async () => {
    const cmd = await readFile(path.join(ROOT, 'build/cli/vela-companion.cmd'), 'utf8');
    const win = new lib.AppInfo({ metadata: pkg, config }, null, config.win ?? null);
    expect(cmd).toContain('set "ELECTRON_RUN_AS_NODE=1"');
    expect(cmd).toContain(`"%~dp0..\\..\\${win.productFilename}.exe" "%~dp0..\\app.asar\\bin\\vela-companion.js" %*`);
    expect(cmd.split('\r\n').length).toBe(cmd.split('\n').length);
  });

  it.skipIf(process.platform === 'win32')('the POSIX launcher follows symlinks to the installed app and passes arguments through', async () => {
    // An installed layout with a stand-in for the app binary that reports how it was called.
    const dir = await mkdtemp(path.join(tmp, 'installed-'));
    const mac = process.platform === 'darwin';
    const contents = mac ? path.join(dir, 'Vela Companion.app', 'Contents') : path.join(dir, 'opt', 'Vela Companion');
    const resources = path.join(contents, mac ? 'Resources' : 'resources');
    const appBinary = mac ? path.join(contents, 'MacOS', 'Vela Companion') : path.join(contents, 'vela-companion');
    await mkdir(path.join(resources, 'bin'), { recursive: true });
    await mkdir(path.dirname(appBinary), { recursive: true });
    await writeFile(path.join(resources, 'app.asar'), '');
    await writeFile(appBinary, '#!/bin/sh\necho "RUN_AS_NODE=$ELECTRON_RUN_AS_NODE"\nfor a in "$@"; do echo "ARG=$a"; done\nexit 3\n');
    await chmod(appBinary, 0o755);
    const launcher = path.join(resources, 'bin', 'vela-companion');
    await copyFile(path.join(ROOT, 'build/cli/vela-companion'), launcher);
    await chmod(launcher, 0o755);
    // /usr/bin/vela-companion -> /etc/alternatives/vela-companion -> the launcher, one link relative.
    await mkdir(path.join(dir, 'usr', 'bin'), { recursive: true });
    await mkdir(path.join(dir, 'etc', 'alternatives'), { recursive: true });
    await symlink(launcher, path.join(dir, 'etc', 'alternatives', 'vela-companion'));
    await symlink('../../etc/alternatives/vela-companion', path.join(dir, 'usr', 'bin', 'vela-companion'));

    const result = await run(path.join(dir, 'usr', 'bin', 'vela-companion'), ['download', 'https://example.com/a b.png', '--json']).then(
      () => { throw new Error('the stand-in exits 3'); },
      (error: { code: number; stdout: string }) => error,
    );
    expect(result.code).toBe(3);
    expect(result.stdout.trim().split('\n')).toEqual([
      'RUN_AS_NODE=1',
      `ARG=${path.join(resources, 'app.asar', 'bin', 'vela-companion.js')}`,
      'ARG=download',
      'ARG=https://example.com/a b.png',
      'ARG=--json',
    ]);

    await rm(path.join(resources, 'app.asar'));
    const missing = await run(launcher, ['list']).then(
      () => { throw new Error('should fail without the app'); },
      (error: { code: number; stderr: string }) => error,
    );
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/Vela Companion app was not found/);
  });

  it('the deb puts it on PATH: electron-builder\'s install scripts with only the /usr/bin link retargeted', async () => {
    expect(config.deb?.afterInstall).toBe('build/linux/after-install.tpl');
    expect(config.deb?.afterRemove).toBe('build/linux/after-remove.tpl');
    const gui = "'/opt/${sanitizedProductName}/${executable}'";
    const cli = "'/opt/${sanitizedProductName}/resources/bin/${executable}'";
    for (const [name, file] of [['after-install.tpl', config.deb!.afterInstall!], ['after-remove.tpl', config.deb!.afterRemove!]] as const) {
      const upstream = await readFile(path.join(APP_BUILDER_LIB, 'templates', 'linux', name), 'utf8');
      const ours = await readFile(path.join(ROOT, file), 'utf8');
      expect(upstream).toContain(gui);
      const withoutOurNotes = ours.split('\n').filter((line) => !line.startsWith('# Vela Companion:')).join('\n');
      expect(withoutOurNotes).toBe(upstream.split(gui).join(cli));
    }
  });
});

describe('npm scripts', () => {
  it('npm run dist builds, then packages with this config', () => {
    expect(pkg.scripts?.dist).toBe('npm run build && electron-builder --config electron-builder.yml');
    for (const [script, flag] of [['dist:linux', '--linux'], ['dist:mac', '--mac'], ['dist:win', '--win'], ['dist:dir', '--dir']]) {
      expect(pkg.scripts?.[script!]).toBe(`npm run build && electron-builder --config electron-builder.yml ${flag}`);
    }
  });
});
