// minicloud's server process: V8 set up for a long-lived, mostly idle server first, then the rest loaded and started
// (server/process.ts: the settings, the parts, their stop on SIGINT or SIGTERM).
import { setFlagsFromString } from 'node:v8';

// The young generation stays at its first 1 MB semi-spaces. V8 grows them to 16 MB under the start's burst of
// allocation and rarely shrinks them back: an idle minicloud then held 32 MB of new space instead of 2 (USS 57-60 MB
// against 35-47, `npm run bench footprint`). minicloud's process serves the API and runs the parts, not the router
// (its own daemon, with its own flags): the more frequent small scavenges cost it nothing measurable. Set before any
// other module loads, as node's `--max-semi-space-size` would be, without a flag on every command that starts it.
setFlagsFromString('--semi-space-growth-factor=1');
await import('./server/process.ts');
