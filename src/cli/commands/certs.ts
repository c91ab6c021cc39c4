// Certificate commands: each served name's certificate (status, issuer, expiry, last error), and a forced renewal.
import type { CertsReport } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { json, table, time } from '../kit/format.ts';

const INDENT = '       ';

function render(ctx: Ctx, app: string, report: CertsReport): void {
  if (!report.acme.enabled && report.acme.reason) ctx.out(`${report.acme.reason}.`, '\n\n');
  const rows = report.domains.map((d) => [
    d.domain, d.status, d.issuer, d.notAfter ? time(d.notAfter) : '-', d.serial ?? '-',
    d.status === 'valid' ? (d.nextAttempt ? `renews ${time(d.nextAttempt)}` : '-') : d.nextAttempt ? `next try ${time(d.nextAttempt)}` : '-',
  ]);
  for (const line of table(rows, ['DOMAIN', 'STATUS', 'ISSUER', 'EXPIRES', 'SERIAL', 'NEXT'])) ctx.out(line);
  // Why a name has no CA certificate, and what went wrong last: the lines a person acts on.
  const notes = report.domains.flatMap((d) => [
    ...(report.acme.enabled && d.reason ? [`${d.domain}: ${d.reason}`] : []),
    ...(d.lastError ? [`${d.domain}: last error: ${d.lastError}`] : []),
  ]);
  if (notes.length) ctx.out();
  for (const n of notes) ctx.out(n);
  if (report.domains.length === 0) ctx.out(`${app} serves no names yet.`);
}

const list: Command = {
  name: 'certs',
  usage: '<app> [--json]',
  summary: "the HTTPS certificate of each of an app's domains: status, issuer, expiry, last error",
  app: true,
  json: true,
  async run(ctx, args) {
    const report = await ctx.client().request<CertsReport>('GET', appPath(args.app, '/certs'));
    if (args.flags.json) return ctx.out(json(report));
    render(ctx, args.app, report);
  },
};

const renew: Command = {
  name: 'certs:renew',
  usage: '<app> [--domain www.example.com] [--json]',
  summary: "order new certificates for an app's domains now (waits up to two minutes for the CA)",
  app: true,
  json: true,
  options: { domain: { type: 'string', short: 'd' } },
  async run(ctx, args) {
    const domain = flag(args, 'domain');
    if (!args.flags.json) ctx.out(`Renewing the certificate${domain ? ` of ${domain}` : `s of ${args.app}`}... `, '');
    const report = await ctx.client().request<CertsReport>('POST', appPath(args.app, '/certs/renew'), domain ? { domain } : {});
    if (args.flags.json) return ctx.out(json(report));
    const mine = report.domains.filter((d) => !domain || d.domain === domain);
    const failed = mine.filter((d) => d.status === 'failed');
    ctx.out(failed.length ? 'failed' : mine.some((d) => d.status === 'pending') ? 'still waiting for the CA' : 'done');
    ctx.out();
    render(ctx, args.app, report);
    if (failed.length) ctx.out(`${INDENT}minicloud retries by itself; see \`minicloud certs ${args.app}\`.`);
    return failed.length ? 1 : 0;
  },
};

export const certCommands: Command[] = [list, renew];
