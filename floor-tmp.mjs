import http from 'node:http';
import { Pool } from 'undici';
const pool = new Pool('http://127.0.0.1:19001', { connections: 256, pipelining: 1 });
http.createServer((req, res) => {
  pool.dispatch({ path: req.url, method: req.method, headers: ['host', req.headers.host] }, {
    onConnect() {}, onHeaders(s, raw) { const h = []; for (let i = 0; i < raw.length; i += 2) h.push(raw[i].toString('latin1'), raw[i+1].toString('latin1')); res.writeHead(s, h); return true; },
    onData(c) { return res.write(c); }, onComplete() { res.end(); }, onError(e) { res.destroy(); },
  });
}).listen(19004, '127.0.0.1', () => console.log('floor ready'));
