// Validation of custom domains (`domains:add`): one canonical ASCII form, or a UserError saying what to fix.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { UserError } from './errors.ts';

const LABEL = /^[a-z0-9-]+$/;
const EXAMPLE = 'give a host name such as www.example.com (or *.example.com for all its subdomains)';

const refuse = (message: string, hint = EXAMPLE) => new UserError(message, hint);

/**
 * Canonical form of a custom domain: lowercase ASCII (international names punycoded), no trailing dot.
 * A wildcard is allowed only as the whole first label (`*.example.com`), covering one label.
 * Refuses empty names, URLs, paths, ports, IP addresses, single-label names and malformed labels.
 */
export function validateDomain(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') throw refuse('a domain name is required');
  const raw = input.trim().toLowerCase();
  const shown = JSON.stringify(input.trim());
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(raw)) {
    throw refuse(`${shown} is a URL, not a domain name`, `give just the host name, e.g. ${hostOf(raw) ?? 'www.example.com'}`);
  }
  if (/[/?#\\]/.test(raw)) throw refuse(`${shown} contains a path; a domain name has none`, `give just the host name, e.g. ${raw.split(/[/?#\\]/)[0] || 'www.example.com'}`);
  if (raw.includes('@')) throw refuse(`${shown} contains "@"; a domain name has no user part`);
  if (raw.startsWith('[') || isIP(raw)) throw refuse(`${shown} is an IP address`, 'custom domains are host names; point the name\'s DNS A record at the IP instead');
  if (raw.includes(':')) throw refuse(`${shown} contains a port; a domain name has none`, `give it without the port (e.g. ${raw.split(':')[0] || 'www.example.com'}): the router serves every domain on its HTTP port`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s%]/.test(raw) || /[\u0000-\u001f\u007f]/.test(raw)) throw refuse(`${shown} contains spaces or characters that cannot be in a domain name`);

  const wildcard = raw.startsWith('*.');
  let name = wildcard ? raw.slice(2) : raw;
  if (name.includes('*')) {
    throw refuse(`${shown} has a "*" in the wrong place`, 'a wildcard is allowed only as the whole first label, as in *.example.com');
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw refuse(`${shown} has an empty label (a leading dot or "..")`, 'labels between dots cannot be empty, e.g. www.example.com');
  }
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (isIP(name) || /^(0x[0-9a-f]*|[0-9]+)$/.test(last)) {
    throw refuse(`${shown} is an IP address, or ends in a number like one`, 'custom domains are host names ending in a name such as .com; point their DNS A record at an IP instead');
  }
  let ascii = domainToASCII(name);
  if (ascii === '') throw refuse(`${shown} is not a valid domain name`, 'check its international characters, or give the xn-- (punycode) form');
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1); // e.g. a trailing ideographic full stop
  if (isIP(ascii)) throw refuse(`${shown} is an IP address`, 'custom domains are host names; point the name\'s DNS A record at the IP instead');

  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') throw refuse(`${shown} has an empty label (a leading dot or "..")`, 'labels between dots cannot be empty, e.g. www.example.com');
    if (label.length > 63) throw refuse(`label ${JSON.stringify(label)} of ${shown} is ${label.length} characters long; the limit is 63`, 'use shorter labels');
    if (!LABEL.test(label)) {
      throw refuse(`label ${JSON.stringify(label)} of ${shown} has characters other than letters, digits and "-"`, 'use letters, digits and dashes between the dots (international letters are converted to punycode)');
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      throw refuse(`label ${JSON.stringify(label)} of ${shown} starts or ends with "-"`, 'a dash may only be inside a label, as in my-shop.example.com');
    }
  }
  if (labels.length < 2) {
    throw wildcard
      ? refuse(`${shown} would cover a whole top-level domain`, 'a wildcard needs a registered domain after it, as in *.example.com')
      : refuse(`${shown} is a single-label name, which no public DNS resolves`, `give a fully qualified name, e.g. ${ascii}.example.com`);
  }
  const full = wildcard ? `*.${ascii}` : ascii;
  if (full.length > 253) throw refuse(`${shown} is ${full.length} characters long; the limit is 253`, 'use a shorter name');
  return full;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

/**
 * Refuses names minicloud itself serves under its own domain `base`: the domain itself, `admin.<base>`,
 * and `<name>.<base>` (each app's default host, present or future). Names under the app's own default
 * host (`api.<app>.<base>`, `*.<app>.<base>`) are allowed; its default host itself is already served.
 */
export function checkDomainAvailable(domain: string, app: string, base: string, isApp: (name: string) => boolean): void {
  const own = `${app}.${base}`;
  if (domain === base) throw new UserError(`${domain} is minicloud's own domain (MINICLOUD_DOMAIN)`, `apps are served under it as <app>.${base}; add a domain of your own`);
  if (domain === own) throw new UserError(`${domain} is already ${app}'s default domain`, 'nothing to add; see `minicloud domains ' + app + '`');
  if (!domain.endsWith(`.${base}`) || domain.endsWith(`.${own}`)) return;
  const label = domain.slice(0, -base.length - 1).split('.').at(-1) ?? '';
  if (label === 'admin') throw new UserError(`${domain} is reserved for minicloud itself`, 'add a domain of your own, e.g. www.example.com');
  if (label !== '*' && label !== app && isApp(label)) {
    throw new UserError(`${domain} belongs to app ${label} (its default domain is ${label}.${base})`, 'add a domain of your own, e.g. www.example.com', 409);
  }
  throw new UserError(`${domain} is under minicloud's own domain ${base}, where names are reserved for apps' default domains`, `use a domain of your own, or a name under ${own}`);
}
