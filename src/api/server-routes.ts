// GET /api/server/backup streams the server archive; POST /api/server/restore takes one (the raw tar.gz as the body),
// checks it whole, then streams the restore's progress as NDJSON. Admin only (access/route-table.ts). Mounted before
// the API's body and answer deadlines: an archive takes as long as it takes to stage, send and restore.
import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { UserError, createLogger, type ServerRestoreEvent } from '../core/index.ts';
import { DEFAULT_LIMITS, applyRestore, discardPlan, exclusiveRestore, prepareRestore, refuseUnlessEmpty, stageServerArchive, sweepStaging } from '../backups/index.ts';
import type { RouteDeps } from './route-deps.ts';

export function serverRoutes({ moves: d }: RouteDeps): Router {
  const r = Router();
  if (!d) return r; // no server archives here: both routes answer 404
  r.get('/server/backup', async (_req, res) => {
    const staged = await stageServerArchive(d.backup);
    try {
      res.status(200).set({
        'content-type': 'application/gzip', 'cache-control': 'no-store',
        'content-disposition': `attachment; filename="minicloud-backup-${staged.manifest.createdAt.slice(0, 10)}.tar.gz"`,
        'x-minicloud-apps': staged.manifest.apps.map((a) => a.name).join(', '),
      });
      await staged.write(res).catch((e: unknown) => {
        (d.backup.log ?? createLogger()).error('server backup: sending the archive failed:', e);
        res.destroy(); // the client sees a cut, never a short file it could take for whole
      });
    } finally {
      staged.discard();
    }
  });

  r.post('/server/restore', async (req, res) => {
    const force = req.query.force === '1' || req.query.force === 'true';
    const max = d.restore.limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
    if (Number(req.headers['content-length'] ?? 0) > max) throw new UserError(`the archive is larger than ${max} bytes`, undefined, 413);
    refuseUnlessEmpty(d.restore.store, force); // before a large upload, not after it
    await exclusiveRestore(async () => {
      sweepStaging(d.restore.paths.staging);
      const upload = join(d.restore.paths.staging, `upload-${randomBytes(6).toString('hex')}.tar.gz`);
      try {
        let n = 0;
        const bound = new Transform({
          transform(c: Buffer, _e, cb) { n += c.length; cb(n > max ? new UserError(`the archive is larger than ${max} bytes`, undefined, 413) : null, c); },
        });
        await pipeline(req, bound, createWriteStream(upload, { flags: 'wx', mode: 0o600 }));
        if (n === 0) throw new UserError('no archive was sent', 'send the file `minicloud backup` wrote as the request body: `minicloud restore <file>`');
        const plan = await prepareRestore(d.restore, upload, force); // a refusal answers 4xx: nothing changed
        rmSync(upload, { force: true });
        res.status(200).set({ 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        const send = (o: ServerRestoreEvent) => res.write(`${JSON.stringify(o)}\n`);
        try {
          send({ type: 'line', text: `-----> Archive of minicloud ${plan.manifest.minicloudVersion} from ${plan.manifest.createdAt}: ${plan.apps.length} app(s), checked whole` });
          const result = await applyRestore(d.restore, plan, (text) => send({ type: 'line', text }));
          send({ type: 'end', status: result.apps.every((a) => a.status === 'restored') ? 'succeeded' : 'failed', apps: result.apps });
        } finally {
          discardPlan(plan);
          res.end();
        }
      } finally {
        rmSync(upload, { force: true });
      }
    });
  });
  return r;
}
