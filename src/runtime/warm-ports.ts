// Sleeping apps' ports on host processes, fenced for their user ahead of the wake (Runtime.prewarm).
import type { AppUsers, Logger } from '../core/index.ts';
import { freePort, isFree } from './free-port.ts';
import type { PortGuard } from './port-guard.ts';

/**
 * One port per sleeping app, found free and with its firewall rules in place: the rules took most of a wake's time
 * before the app itself started on a loaded host. In memory only: a restarted minicloud's sweep removes the rules
 * (no listener), and the first wake after it opens them as before.
 */
export class WarmPorts {
  private readonly ports = new Map<string, { port: number; uid: number }>();

  constructor(private readonly users: AppUsers, private readonly guard: PortGuard, private readonly log: Logger) {}

  /** Readies a port for `app`'s next start; never throws. */
  async prepare(app: string): Promise<void> {
    if (this.ports.has(app)) return;
    try {
      const user = await this.users.ensure(app);
      if (!user) return;
      const port = await freePort();
      await this.guard.open(port, user.uid);
      this.ports.set(app, { port, uid: user.uid });
    } catch (e) {
      this.log.warn(`preparing ${app}'s wake: ${(e as Error).message}`);
    }
  }

  /** The app's port when it is still free and fenced for `uid` (the caller opens nothing); else its rules go, and null. */
  async take(app: string, uid: number): Promise<number | null> {
    const w = this.ports.get(app);
    if (!w) return null;
    this.ports.delete(app);
    if (w.uid === uid && (await isFree(w.port))) return w.port;
    await this.drop(w.port);
    return null;
  }

  /** The app is destroyed: its port's rules go. */
  async forget(app: string): Promise<void> {
    const w = this.ports.get(app);
    this.ports.delete(app);
    if (w) await this.drop(w.port);
  }

  private async drop(port: number): Promise<void> {
    await this.guard.close(port).catch((e: Error) => this.log.warn(`firewall rules of port ${port}: ${e.message}`));
  }
}
