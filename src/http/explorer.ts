import { createHash } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the explorer page is served. */
export const EXPLORER_PATH = '/explorer';

/** The page's own files: HTML, CSS and browser modules, served as they are (no build step). */
const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'explorer');

/** Only plain file names are served from the page's folder: nothing a URL could climb out of. */
const PAGE_FILE = /^[a-z][a-z0-9-]*\.(html|js|css|svg)$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * A Host header that may be written into the policy: a name or IP literal with an optional port.
 * Anything else (a `;` would add a directive) gets no WebSocket source, and the page no live feed.
 */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

interface Asset {
  file: string;
  contentType: string;
}

/**
 * The browser scripts the page loads, by exact file in an installed package: the versions
 * package.json pins are the versions served, and no request leaves for a CDN.
 */
function vendorAssets(): Record<string, Asset> {
  const require = createRequire(import.meta.url);
  const script = 'text/javascript; charset=utf-8';
  return {
    [`${EXPLORER_PATH}/vendor/cytoscape.min.js`]: {
      file: require.resolve('cytoscape/dist/cytoscape.min.js'),
      contentType: script,
    },
    [`${EXPLORER_PATH}/vendor/graphql-ws.min.js`]: {
      // graphql-ws exports no path to its browser build: find it beside its package.json.
      file: join(dirname(require.resolve('graphql-ws/package.json')), 'umd', 'graphql-ws.min.js'),
      contentType: script,
    },
  };
}

function pageAssets(): Record<string, Asset> {
  const assets: Record<string, Asset> = {};
  for (const name of readdirSync(PAGE_DIR)) {
    if (!PAGE_FILE.test(name)) continue;
    assets[`${EXPLORER_PATH}/${name}`] = {
      file: join(PAGE_DIR, name),
      contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    };
  }
  const index = assets[`${EXPLORER_PATH}/index.html`];
  if (!index) throw new Error(`the explorer page is missing: ${join(PAGE_DIR, 'index.html')}`);
  assets[EXPLORER_PATH] = index;
  assets[`${EXPLORER_PATH}/`] = index;
  return assets;
}

/**
 * The page may run only its own scripts (no inline script, no eval), talk only to this origin
 * (GraphQL over HTTP and graphql-ws), and not be framed. `connect-src 'self'` covers ws: in CSP
 * level 3 browsers; the WebSocket URLs are named for the others.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What the explorer answers: whether a path is its own, and the answer to a request for one. */
export interface Explorer {
  /** True for the page and its files (the query string ignored). */
  owns(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * The graph explorer at /explorer: static files (the page and the scripts it loads from
 * node_modules) that talk to /graphql with the caller's key, like GraphiQL. The paths and files are
 * fixed when it is built, so a missing package fails at start, not on a visitor's request.
 */
export function createExplorer(): Explorer {
  const assets = new Map(Object.entries({ ...pageAssets(), ...vendorAssets() }));
  for (const asset of assets.values()) accessSync(asset.file, constants.R_OK);
  const loaded = new Map<string, { body: Buffer; etag: string }>();
  const load = (asset: Asset) => {
    let file = loaded.get(asset.file);
    if (!file) {
      const body = readFileSync(asset.file);
      file = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      loaded.set(asset.file, file);
    }
    return file;
  };

  return {
    owns: (path) => assets.has(path),
    serve: (req, res) => {
      const asset = assets.get(req.url?.split('?')[0] ?? '');
      if (!asset) {
        res.writeHead(404).end();
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const { body, etag } = load(asset);
      const headers = {
        'content-type': asset.contentType,
        'content-security-policy': contentSecurityPolicy(req.headers.host),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        // Revalidated on every load: a new version is served the moment Engram is upgraded.
        'cache-control': 'no-cache',
        etag,
      };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
