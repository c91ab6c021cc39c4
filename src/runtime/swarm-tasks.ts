// What Swarm says about an instance's service: its one task's state, exit code, node and published port, read from
// the manager. Swarm has no "wait" for a task (and no task events), so these poll, with a ceiling that says what it
// waited for.
import type Dockerode from 'dockerode';

export interface TaskInfo {
  id: string;
  state: string;
  desired: string;
  nodeId: string;
  err: string;
  exitCode: number | null;
  /** The port its node publishes for it (host mode), when it has one. */
  port: number | null;
}

/** States a task never leaves. */
const ENDED = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);
export const hasEnded = (t: TaskInfo) => ENDED.has(t.state);

interface RawTask {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  ServiceID?: string;
  CreatedAt?: string;
  Status?: { State?: string; Err?: string; ContainerStatus?: { ExitCode?: number }; PortStatus?: { Ports?: Array<{ PublishedPort?: number }> } };
}

function info(t: RawTask): TaskInfo {
  const s = t.Status ?? {};
  const ended = ENDED.has(s.State ?? '');
  return {
    id: t.ID, state: s.State ?? 'new', desired: t.DesiredState ?? '', nodeId: t.NodeID ?? '', err: s.Err ?? '',
    exitCode: ended && (s.State === 'complete' || s.State === 'failed') ? (s.ContainerStatus?.ExitCode ?? null) : null,
    port: s.PortStatus?.Ports?.[0]?.PublishedPort ?? null,
  };
}

/** Each service's newest task (an instance's service has one: it is never restarted by Swarm). */
export async function tasksOf(docker: Dockerode, services: string[]): Promise<Map<string, TaskInfo>> {
  const found = new Map<string, TaskInfo>();
  if (services.length === 0) return found;
  const raw = (await docker.listTasks({ filters: { service: services } })) as RawTask[];
  raw.sort((a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? ''));
  for (const t of raw) if (t.ServiceID) found.set(t.ServiceID, info(t));
  return found;
}

/** Nodes the manager holds for dead (down, or gone from the swarm): their tasks are gone with them. */
export async function deadNodes(docker: Dockerode): Promise<Set<string>> {
  const nodes = (await docker.listNodes()) as Array<{ ID: string; Status?: { State?: string } }>;
  return new Set(nodes.filter((n) => n.Status?.State === 'down' || n.Status?.State === 'disconnected').map((n) => n.ID));
}

/** The address the router reaches a node's published ports on. */
export async function nodeAddress(docker: Dockerode, nodeId: string): Promise<string> {
  const node = (await docker.getNode(nodeId).inspect()) as { Status?: { Addr?: string }; ManagerStatus?: { Addr?: string } };
  const addr = node.Status?.Addr;
  // A manager may report 0.0.0.0 for itself when it was initialised without an advertise address.
  if (!addr || addr === '0.0.0.0') return node.ManagerStatus?.Addr?.split(':')[0] ?? '127.0.0.1';
  return addr;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the service's task until `done` says so (it returns what to resolve with); throws when the ceiling passes,
 * naming `what` and the task's last state and error, or when the signal aborts.
 */
export async function waitForTask<T>(docker: Dockerode, service: string, what: string, ceilingMs: number, done: (t: TaskInfo | undefined) => T | undefined, signal?: AbortSignal): Promise<T> {
  let last: TaskInfo | undefined;
  for (const end = Date.now() + ceilingMs; ;) {
    signal?.throwIfAborted();
    last = (await tasksOf(docker, [service])).get(service);
    const result = done(last);
    if (result !== undefined) return result;
    if (Date.now() > end) throw new Error(`Swarm service ${service}: ${what} did not happen within ${ceilingMs / 1000} s (its task: ${last ? `${last.state}${last.err ? `, ${last.err}` : ''}` : 'none yet'})`);
    await sleep(250);
  }
}

/**
 * The ready, active node with the fewest running tasks of this app's process type (then the fewest tasks of all):
 * Swarm's own spread counts one service's tasks, and each instance is a service of its own, so it would stack an
 * app's instances on one node. Undefined when no node qualifies (Swarm then says why the task is pending).
 */
export async function spreadNode(docker: Dockerode, app: string, type: string): Promise<string | undefined> {
  const [nodes, services, tasks] = await Promise.all([
    docker.listNodes() as Promise<Array<{ ID: string; Spec?: { Availability?: string }; Status?: { State?: string } }>>,
    docker.listServices({ filters: { label: [`minicloud.app=${app}`, `minicloud.type=${type}`] } }) as Promise<Array<{ ID: string }>>,
    docker.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<RawTask[]>,
  ]);
  const mine = new Set(services.map((s) => s.ID));
  const load = new Map<string, { same: number; all: number }>();
  for (const n of nodes) if (n.Status?.State === 'ready' && n.Spec?.Availability === 'active') load.set(n.ID, { same: 0, all: 0 });
  for (const t of tasks) {
    const l = load.get(t.NodeID ?? '');
    if (!l) continue;
    l.all++;
    if (mine.has(t.ServiceID ?? '')) l.same++;
  }
  return [...load.entries()].sort(([, a], [, b]) => a.same - b.same || a.all - b.all)[0]?.[0];
}

/** Swarm reports a task with a health check running only once it is healthy (and fails it otherwise). */
export async function taskHealth(docker: Dockerode, service: string): Promise<'starting' | 'healthy' | null> {
  const t = (await tasksOf(docker, [service]).catch(() => new Map<string, TaskInfo>())).get(service);
  if (!t || hasEnded(t)) return null;
  return t.state === 'running' ? 'healthy' : 'starting';
}
