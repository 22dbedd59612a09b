/**
 * `bpfkit serve`: serves the playground (dist/web, built by `npm run build:browser`) over HTTP.
 * A dozen lines of node:http rather than a dependency: the page is static, and the server only
 * has to get content types right (ES modules need text/javascript) and stay inside its folders.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitError, guarded } from './common.js';

/** dist/web, from dist/src/commands. */
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** One folder served under a URL prefix (`/` or `/something/`), or one file at exactly `prefix`. */
export interface Mount {
  readonly prefix: string;
  readonly dir: string;
  /** Serve this file at the path `prefix` itself (dir is then unused). */
  readonly file?: string;
}

/**
 * binaryen's ES module where the playground's JIT chunk looks for it (`/binaryen.js`). The build
 * copies it into dist/web, but the published package leaves the 14 MB copy out (binaryen is an
 * optional dependency): then it is served from the installed package, or not at all (the page
 * says the JIT is unavailable).
 */
export function binaryenMount(webRoot: string): Mount[] {
  if (existsSync(join(webRoot, 'binaryen.js'))) return [];
  try {
    return [{ prefix: '/binaryen.js', dir: '', file: createRequire(import.meta.url).resolve('binaryen') }];
  } catch {
    return [];
  }
}

export interface StaticServer {
  readonly server: Server;
  /** `http://host:port` (no trailing slash). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The file a URL path names under the mounts (longest prefix first), or undefined. Paths that
 * climb out of their folder (`..`, encoded or not) name nothing; a folder means its index.html.
 */
export function resolveRequest(mounts: readonly Mount[], urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split(/[?#]/, 1)[0]!);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  const sorted = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  for (const m of sorted) {
    if (m.file !== undefined) {
      if (path === m.prefix && existsSync(m.file)) return m.file;
      continue;
    }
    if (!path.startsWith(m.prefix)) continue;
    const root = resolve(m.dir);
    let file = resolve(root, `.${sep}${path.slice(m.prefix.length)}`);
    if (file !== root && !file.startsWith(root + sep)) return undefined;
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}

/** Starts a static server for `mounts`; port 0 picks a free port. */
export function startStaticServer(mounts: readonly Mount[], options: { host?: string; port?: number } = {}): Promise<StaticServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = resolveRequest(mounts, req.url ?? '/');
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const body = readFileSync(file);
    // no-cache: the playground is rebuilt in place, and a stale bundle is confusing.
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      const { port } = server.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host;
      done({
        server,
        url: `http://${shown}:${port}`,
        close: () => new Promise<void>((closed) => server.close(() => closed())),
      });
    });
  });
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the playground: drop an object, see its programs, verdict and runs in the browser')
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, 8080)
    .option('--host <addr>', 'address to bind (only this machine by default)', '127.0.0.1')
    .addHelpText('after', '\nExamples:\n  bpfkit serve\n  bpfkit serve --port 9000\n\nThe page is built by `npm run build:browser` into dist/web.')
    .action((opts: { port: number; host: string }) =>
      guarded(2, async () => {
        if (!existsSync(join(WEB_ROOT, 'index.html'))) throw new ExitError(`no playground at ${WEB_ROOT}: run \`npm run build:browser\` first`, 2);
        let s: StaticServer;
        try {
          s = await startStaticServer([{ prefix: '/', dir: WEB_ROOT }, ...binaryenMount(WEB_ROOT)], opts);
        } catch (e) {
          throw new ExitError(`cannot listen on ${opts.host}:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 2);
        }
        process.stdout.write(`bpfkit playground at ${s.url}/ (Ctrl-C to stop)\n`);
      }),
    );
}
