// A host instance's output, tagged at its source: a small Perl filter between the app and app.log stamps each line
// with the time it was printed and the instance's name (`2026-12-06T10:00:00.123Z web.1: listening`).
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { spawnIn, type Group } from '../core/index.ts';

const PERL = '/usr/bin/perl';

/** Lines are cut at this many bytes (one without an end would grow the filter without bound); under MAX_LINE with the stamp. */
export const TAGGED_LINE_MAX = 16_000;

// It reads until every writer (the instance's processes) has closed the pipe, so it outlives nothing but them; it
// ignores the SIGTERM, SIGINT and SIGHUP a stop sends the group, to write the instance's last words. Time::HiRes
// comes with Debian's perl package; with perl-base alone the times are to the second.
const SCRIPT = `
use strict; use Fcntl;
my $tag = shift; my $max = shift; my $now = sub { time };
eval { require Time::HiRes; $now = \\&Time::HiRes::time; };
$SIG{$_} = 'IGNORE' for qw(TERM INT HUP PIPE);
my $fl = fcntl(STDIN, F_GETFL, 0); fcntl(STDIN, F_SETFL, $fl & ~O_NONBLOCK) if defined $fl;
sub out { my $l = shift; $l =~ s/\\r$//; my $t = $now->(); my @g = gmtime(int $t);
  my $s = sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s: %s\\n", $g[5] + 1900, $g[4] + 1, $g[3], $g[2], $g[1], $g[0], int(($t - int $t) * 1000), $tag, $l);
  syswrite(STDOUT, $s); }
my $buf = '';
while (1) {
  my $n = sysread(STDIN, $buf, 65536, length $buf);
  next if !defined $n && $!{EINTR};
  last if !$n;
  while ((my $i = index($buf, "\\n")) >= 0) { out(substr($buf, 0, $i)); substr($buf, 0, $i + 1) = ''; }
  while (length $buf >= $max) { out(substr($buf, 0, $max)); substr($buf, 0, $max) = ''; }
}
out($buf) if length $buf;
`;

/** Whether this host can tag lines (a perl to run the filter); without, instances write app.log directly, untagged. */
export const canTag = (): boolean => existsSync(PERL);

/**
 * Starts the filter for one instance and answers the pipe's write end for the instance's stdout and stderr (close it
 * once the instance is spawned). The filter runs as the app's user in the instance's group (a stop ends what is
 * left of it), with app.log (opened for appending) as its output.
 */
export function startTagger(o: { logFile: string; tag: string; group?: Group; ids: { uid?: number; gid?: number } }): number {
  // A named pipe, opened here in blocking mode on the instance's side: a pipe from node would be non-blocking, and
  // an app's plain write() to a full non-blocking stdout fails with EAGAIN instead of waiting.
  const fifo = join(dirname(o.logFile), `.pipe-${randomBytes(6).toString('hex')}`);
  execFileSync('mkfifo', ['-m', '600', fifo]);
  let read = -1;
  let write = -1;
  const log = openSync(o.logFile, 'a', 0o600);
  try {
    read = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK); // the filter makes it blocking again
    write = openSync(fifo, constants.O_WRONLY);
    const filter = o.group?.name
      ? spawnIn(o.group, PERL, ['-e', SCRIPT, o.tag, String(TAGGED_LINE_MAX)], { stdio: [read, log, 'ignore'], detached: true, ...o.ids })
      : spawn(PERL, ['-e', SCRIPT, o.tag, String(TAGGED_LINE_MAX)], { stdio: [read, log, 'ignore'], detached: true, ...o.ids });
    filter.on('error', () => { /* the instance's writes then fail: its exit is reported */ });
    filter.unref();
    return write;
  } catch (e) {
    if (write >= 0) closeSync(write);
    throw e;
  } finally {
    if (read >= 0) closeSync(read);
    closeSync(log);
    unlinkSync(fifo);
  }
}
