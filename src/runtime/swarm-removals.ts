// Each swarm service is removed once. The manager of Debian's docker.io 20.10 panicked (nil pointer in swarmkit's
// SetServiceTasksRemove: the whole manager went down, every app with it) when one service was asked to go twice, or
// scaled to none while going, as its ended task was being reaped: an instance whose task crashed was removed after
// its exit (its log drained) and again by the stop its failed deploy sent.
import type Dockerode from 'dockerode';
import { removeService } from './swarm-secrets.ts';

/** How long a service's removal is remembered after it is done: later asks for it are answered by it. */
const REMEMBER_MS = 60_000;

export class ServiceRemovals {
  private readonly removing = new Map<string, Promise<void>>();

  constructor(private readonly docker: Dockerode) {}

  /** Removes `service` once `first` is done; a second ask, meanwhile or within a minute after, gets the first's promise. */
  remove(service: string, first: Promise<void> = Promise.resolve()): Promise<void> {
    const known = this.removing.get(service);
    if (known) return known;
    const p = first.then(() => removeService(this.docker, service));
    this.removing.set(service, p);
    // A failed removal may be asked for again at once; a done one is remembered a while.
    p.then(() => setTimeout(() => this.removing.delete(service), REMEMBER_MS).unref(), () => this.removing.delete(service));
    return p;
  }

  /** The removal under way (or done within the last minute) of `service`, if any. */
  pending(service: string): Promise<void> | undefined {
    return this.removing.get(service);
  }
}
