// The server installer's refusals: each says why and what to do, before it changes anything (fakes on PATH
// stand in for id, ss, fuser, docker and apt-get). Its shellcheck: test/integration/installer-shellcheck.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/install.sh', import.meta.url).pathname;
let dir: string;
let bin: string;

/** A fake command on the test's PATH: a shell script body. */
function fake(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function osRelease(name: string, id: string, version: string): string {
  const f = join(dir, `os-release-${id}-${version}`);
  writeFileSync(f, `PRETTY_NAME="${name}"\nID=${id}\nVERSION_ID="${version}"\n`);
  return f;
}

interface Run { status: number | null; stdout: string; stderr: string }

/** Runs the installer with the fakes first on PATH and a supported OS and low minimums unless `env` says otherwise. */
function install(args: string[], env: Record<string, string> = {}, piped = false): Run {
  // piped: as `curl ... | sudo sh -s -- ARGS` runs it, with no file (and no checkout) behind it.
  const r = spawnSync('sh', piped ? ['-s', '--', ...args] : [SCRIPT, ...args], {
    encoding: 'utf8', timeout: 30_000, input: piped ? readFileSync(SCRIPT) : undefined,
    env: {
      PATH: `${bin}:${process.env.PATH}`, HOME: dir, LANG: 'C',
      MINICLOUD_OS_RELEASE: osRelease('Debian GNU/Linux 12 (bookworm)', 'debian', '12'),
      MINICLOUD_MIN_MEMORY_MB: '1', MINICLOUD_MIN_DISK_MB: '1',
      DOCKER_HOST: `unix://${dir}/no-engine.sock`,
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DOMAIN = ['--domain', 'example.com', '--email', 'me@example.com'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-installer-'));
  bin = join(dir, 'bin');
  spawnSync('mkdir', [bin]);
  fake('id', '[ "$1" = -u ] && echo "${FAKE_UID:-0}" || exec /usr/bin/id "$@"');
  // ss: nothing listens unless FAKE_PORT says which port nginx holds.
  fake('ss', 'case "$*" in *"sport = :${FAKE_PORT:-none}"*) ;; *) exit 0 ;; esac\n'
    + 'line="LISTEN 0      511          0.0.0.0:$FAKE_PORT        0.0.0.0:*"\n'
    + 'case "$1" in *p*) echo "$line    users:((\\"nginx\\",pid=4242,fd=6),(\\"nginx\\",pid=4241,fd=6))" ;; *) echo "$line" ;; esac');
  // docker: an engine of FAKE_DOCKER_VERSION answers, or none does.
  fake('docker', '[ -n "$FAKE_DOCKER_VERSION" ] || exit 1\n'
    + 'case "$1" in version) echo "$FAKE_DOCKER_VERSION" ;; *) echo "fake docker: $*" >&2; exit 1 ;; esac');
  fake('apt-get', 'echo "fake apt-get must not run: $*" >&2; exit 99');
  fake('fuser', '[ -n "$FAKE_LOCK_PID" ] && [ "$1" = /var/lib/dpkg/lock-frontend ] && echo " $FAKE_LOCK_PID" || exit 1');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the installer refuses, with the reason and the fix', () => {
  it('when not run as root', () => {
    const r = install(DOMAIN, { FAKE_UID: '1000' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the installer must run as root');
    expect(r.stderr).toContain('Fix: run it with sudo: sudo sh install.sh --domain example.com --email me@example.com');
  });

  it('on an unsupported operating system, naming it', () => {
    const r = install(DOMAIN, { MINICLOUD_OS_RELEASE: osRelease('CentOS Stream 9', 'centos', '9') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unsupported operating system: CentOS Stream 9 (supported: Debian 12, Ubuntu 24.04)');
    expect(r.stderr).toContain('MINICLOUD_SKIP_OS_CHECK=1');
    expect(install(DOMAIN, { MINICLOUD_OS_RELEASE: osRelease('Ubuntu 22.04 LTS', 'ubuntu', '22.04') }).stderr).toContain('unsupported operating system: Ubuntu 22.04 LTS');
  });

  it('without enough memory or disk, saying how much there is and how much it needs', () => {
    const mem = install(DOMAIN, { MINICLOUD_MIN_MEMORY_MB: '99999999' });
    expect(mem.status).toBe(1);
    expect(mem.stderr).toMatch(/not enough memory: \d+ MB, minicloud needs at least 99999999 MB/);
    expect(mem.stderr).toContain('Fix: use a server with 1 GB of memory or more');
    const disk = install(DOMAIN, { MINICLOUD_MIN_DISK_MB: '999999999' });
    expect(disk.status).toBe(1);
    expect(disk.stderr).toMatch(/not enough free disk on \/\S*: \d+ MB, minicloud needs at least 999999999 MB/);
    expect(disk.stderr).toContain('Fix: free some space or grow the disk');
  });

  it.each(['80', '443'])('when port %s is taken, naming the process', (port) => {
    const r = install(DOMAIN, { FAKE_PORT: port });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${port} is taken by nginx (pid 4242)`);
    expect(r.stderr).toContain('Fix: stop and disable it (e.g. systemctl disable --now nginx');
  });

  it('when Docker must be installed and the apt lock is held, naming the holder', async () => {
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const r = install(DOMAIN, { FAKE_LOCK_PID: String(holder.pid) });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`the apt lock is held by process ${holder.pid} (sleep)`);
      expect(r.stderr).toContain('Fix: wait for it to finish');
      expect(r.stderr).not.toContain('fake apt-get must not run');
    } finally {
      holder.kill();
    }
  });

  it('a Docker engine that is too old, naming the version it needs', () => {
    const r = install(DOMAIN, { FAKE_DOCKER_VERSION: '19.03.13' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Docker engine 19.03.13 is too old: minicloud needs 20.10 or later');
    expect(r.stderr).toContain('Fix: upgrade Docker');
  });

  it('without a domain, or with a malformed domain or email', () => {
    expect(install([]).stderr).toContain('no domain given');
    expect(install(['--domain', 'ex ample.com']).stderr).toContain('--domain ex ample.com is not a domain name');
    expect(install(['--domain', 'a.com;reboot']).stderr).toContain('is not a domain name');
    expect(install(['--domain', 'example.com', '--email', 'me']).stderr).toContain('--email me is not an email address');
    expect(install(['--purge']).stderr).toContain('--purge only goes with --uninstall');
    expect(install(['--frobnicate']).stderr).toContain('unknown option: --frobnicate');
  });

  it('piped into sh (curl | sh), the same refusals; and without a checkout, until told what to run', () => {
    const notRoot = install(DOMAIN, { FAKE_UID: '1000' }, true);
    expect(notRoot.status).toBe(1);
    expect(notRoot.stderr).toContain('the installer must run as root');
    const r = install(DOMAIN, {}, true);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not run from a minicloud checkout, and neither MINICLOUD_SOURCE nor MINICLOUD_IMAGE says what to run');
    expect(r.stderr).toContain('Fix: curl ... | sudo MINICLOUD_SOURCE=');
    // Told, it goes on to its next check (here: port 80, taken).
    expect(install(DOMAIN, { MINICLOUD_SOURCE: 'https://example.test/minicloud.git', FAKE_PORT: '80' }, true).stderr).toContain('port 80 is taken by nginx');
  });

  it('prints its usage with --help, without needing root', () => {
    const r = install(['--help'], { FAKE_UID: '1000' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--uninstall');
    expect(r.stdout).toContain('--no-postgres');
  });
});
