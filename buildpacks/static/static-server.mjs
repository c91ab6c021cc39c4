// A small static file server for the host runtime (the image uses busybox httpd): the release directory on $PORT.
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const root = process.cwd();
const realRoot = realpathSync(root);
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.ico': 'image/x-icon', '.wasm': 'application/wasm',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.xml': 'application/xml', '.pdf': 'application/pdf',
};

function resolve(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  const file = normalize(join(root, path));
  // Nothing outside the site, nothing hidden (.minicloud, .env), as busybox httpd would not serve them either.
  if (file !== root && !file.startsWith(root + sep)) return null;
  if (file.slice(root.length).split(sep).some((part) => part.startsWith('.'))) return null;
  try {
    const st = statSync(file);
    const found = st.isDirectory() ? join(file, 'index.html') : file;
    if (!statSync(found).isFile()) return null;
    // A link in the pushed tree may point anywhere: serve it only when it stays inside the site.
    return realpathSync(found).startsWith(realRoot + sep) ? found : null;
  } catch {
    return null;
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const file = resolve(req.url ?? '/');
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': statSync(file).size });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
});

server.listen(Number(process.env.PORT || 5000), process.env.HOST || undefined, () => console.log(`serving ${root} on port ${server.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
