// `npm start`: installs what is missing, then runs minicloud (TypeScript through tsx, no build step).
import { ensureDeps } from './ensure-deps.mjs';

ensureDeps();
const { register } = await import('tsx/esm/api');
register();
await import('../src/main.ts');
