// The router daemon as the parts made before it is reached see it: formation waits for its acknowledgements, the
// certificates push to it. Bound once minicloud has connected (after the API listens: the dashboard's route points there).
import { UserError, type RouterDaemonReport } from '../core/index.ts';
import type { RouterDaemon } from './types.ts';

export class RouterLink {
  private daemon: RouterDaemon | null = null;

  bind(daemon: RouterDaemon): void {
    this.daemon = daemon;
  }

  /** Resolves once the router serves with every route change made so far (at once before it is bound). */
  settled(): Promise<void> {
    return this.daemon?.settled() ?? Promise.resolve();
  }

  certsChanged(): void {
    this.daemon?.certsChanged();
  }

  /** ACME tokens in play; awaited before the CA is asked to validate. */
  async challenges(tokens: Record<string, string>): Promise<void> {
    await this.daemon?.challenges(tokens);
  }

  /** The access log written out up to now. */
  async flush(): Promise<void> {
    await this.daemon?.flush();
  }

  status(): Promise<RouterDaemonReport> {
    return this.bound().status();
  }

  restart(): Promise<RouterDaemonReport> {
    return this.bound().restart();
  }

  private bound(): RouterDaemon {
    if (!this.daemon) throw new UserError('the router is not connected yet', 'try again in a few seconds');
    return this.daemon;
  }
}
