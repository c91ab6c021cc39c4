// Test helper: the edge router alone in its own process (for measuring its memory and stalls), routes given as JSON in argv[2]; argv[3] `slow` turns its fast path off.
import { startRouter } from '../../proxy/index.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';

const routes = JSON.parse(process.argv[2] ?? '[]') as Route[];
const router = await startRouter({ port: 0, host: '127.0.0.1', table: new RouteTable(routes), domain: 'localhost', fastPath: process.argv[3] !== 'slow' });
console.log(`router listening on ${router.port}`);
process.on('SIGTERM', () => void router.close().then(() => process.exit(0)));
