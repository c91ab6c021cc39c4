// Certificate commands: each served name's certificate (status, issuer, expiry, last error), and a forced renewal.
import { UserError, type CertsReport } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { readNamedFile } from '../kit/files.ts';
import { json, table, time } from '../kit/format.ts';

const INDENT = '       ';

function render(ctx: Ctx, app: string, report: CertsReport): void {
  if (!report.acme.enabled && report.acme.reason) ctx.out(`${report.acme.reason}.`, '\n\n');
  const rows = report.domains.map((d) => [
    d.domain, d.status, d.issuer, d.notAfter ? time(d.notAfter) : '-', d.serial ?? '-',
    d.kind === 'custom' ? 'never (custom)' : d.status === 'valid' ? (d.nextAttempt ? `renews ${time(d.nextAttempt)}` : '-') : d.nextAttempt ? `next try ${time(d.nextAttempt)}` : '-',
    d.kind ?? '-',
  ]);
  for (const line of table(rows, ['DOMAIN', 'STATUS', 'ISSUER', 'EXPIRES', 'SERIAL', 'NEXT', 'KIND'])) ctx.out(line);
  // Why a name has no CA certificate, and what went wrong last: the lines a person acts on.
  const notes = report.domains.flatMap((d) => [
    ...(d.kind === 'custom' ? [`${d.domain}: custom certificate for ${d.names?.join(', ')}`] : report.acme.enabled && d.reason ? [`${d.domain}: ${d.reason}`] : []),
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

/** A PEM file the user names: read here, its content sent in the request body (never in argv or a URL). */
function pemFile(ctx: Ctx, file: string, what: string): Promise<string> {
  return readNamedFile(ctx, file, `give the path of the ${what} (PEM)`, 256 * 1024,
    (size) => new UserError(`${file} is ${size} bytes: not a ${what}`, `give the path of the ${what} (PEM, a few KiB)`));
}

const add: Command = {
  name: 'certs:add',
  usage: '<app> --cert fullchain.pem --key key.pem [--domain www.example.com] [--json]',
  summary: "serve your own certificate (chain and key) for the app's domains it covers; minicloud stops ordering them",
  help: [
    "The chain is the certificate for your domain first, then its intermediates. It serves each of the app's",
    'domains it covers (a wildcard covers one label), or only --domain. It is checked first: the key must match,',
    'it must be valid now and cover the domain. minicloud never renews it: an alert goes out 14 days before it',
    "expires. `certs:remove` goes back to the CA's certificate. Also: certs:add <app> fullchain.pem key.pem.",
  ].join('\n'),
  app: true,
  json: true,
  options: { cert: { type: 'string' }, key: { type: 'string' }, domain: { type: 'string', short: 'd' } },
  async run(ctx, args) {
    const certFile = flag(args, 'cert') ?? args.rest[0];
    const keyFile = flag(args, 'key') ?? args.rest[flag(args, 'cert') ? 0 : 1];
    if (!certFile || !keyFile) throw new UserError('give the certificate chain and its key', `usage: minicloud certs:add ${add.usage}`);
    const extra = args.rest[(flag(args, 'cert') ? 0 : 1) + (flag(args, 'key') ? 0 : 1)];
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, `usage: minicloud certs:add ${add.usage}`);
    const body = { cert: await pemFile(ctx, certFile, 'certificate chain'), key: await pemFile(ctx, keyFile, 'private key'), domain: flag(args, 'domain') };
    const report = await ctx.client().request<CertsReport>('POST', appPath(args.app, '/certs'), body);
    if (args.flags.json) return ctx.out(json(report));
    const mine = report.domains.filter((d) => d.kind === 'custom');
    ctx.out(`Custom certificate added for ${args.app}: ${mine.map((d) => d.domain).join(', ')}`);
    ctx.out();
    render(ctx, args.app, report);
  },
};

const remove: Command = {
  name: 'certs:remove',
  usage: '<app> [--domain www.example.com] [--json]',
  summary: "stop serving the app's custom certificates (or one domain's): back to the CA's, or a self-signed one meanwhile",
  app: true,
  json: true,
  options: { domain: { type: 'string', short: 'd' } },
  async run(ctx, args) {
    const domain = flag(args, 'domain');
    const report = await ctx.client().request<CertsReport>('DELETE', appPath(args.app, `/certs${domain ? `?domain=${encodeURIComponent(domain)}` : ''}`));
    if (args.flags.json) return ctx.out(json(report));
    ctx.out(`Custom certificate removed from ${domain ?? args.app}.`);
    ctx.out();
    render(ctx, args.app, report);
  },
};

export const certCommands: Command[] = [list, renew, add, remove];
