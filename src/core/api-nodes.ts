// Shapes of the nodes API's bodies (a swarm's servers), shared by the API and the CLI.
/** `GET /api/nodes`: one node of the swarm, as the manager sees it, and what of minicloud's runs on it. */
export interface NodeInfo {
  id: string;
  /** Its hostname. */
  name: string;
  /** The private address the router and the other nodes reach it on. */
  address: string;
  role: 'manager' | 'worker';
  /** The manager minicloud talks to (where builds run and volumes live). */
  self: boolean;
  /** ready, down, disconnected, unknown. */
  state: string;
  /** active (takes instances), pause (keeps what runs, takes nothing new), drain (runs nothing). */
  availability: 'active' | 'pause' | 'drain';
  memoryBytes: number;
  /** The memory limits of the instances on it, added up. */
  memoryLimitsBytes: number;
  /** minicloud's instances running on it: app, process type, the instance's service; `storage`: the app's volume is on this node, which it is pinned to. */
  instances: Array<{ app: string; type: string; service: string; storage?: boolean }>;
}

/**
 * `GET /api/nodes/join`: what a new server runs to join the swarm as a worker (the token is a secret); `registry`:
 * minicloud's own registry, whose CA the new server's Docker trusts at /etc/docker/certs.d/<host>/ca.crt.
 */
export interface NodeJoin { command: string; token: string; manager: string; registry?: { host: string; caPem: string; trust: string } }

/** The shell lines that make a node's Docker trust a registry's CA (Docker's own certs.d path), run before it joins. */
export function registryTrust(host: string, caPem: string): string {
  const dir = `/etc/docker/certs.d/${host}`;
  return `mkdir -p ${dir} && cat > ${dir}/ca.crt <<'EOF'\n${caPem.trim()}\nEOF`;
}

/** `POST /api/nodes/:node/drain`: progress lines, then the node as it is after, or what went wrong. */
export type NodeDrainEvent =
  | { type: 'line'; text: string }
  | { type: 'done'; node: NodeInfo }
  | { type: 'error'; error: string; hint?: string };

/** What `POST /api/swarm/init` did: the engine made a swarm (or adopted), the apps moved onto it. */
export interface SwarmInitDone {
  /** The engine was a swarm manager already. */
  adopted: boolean;
  /** Where other nodes reach the manager (`<ip>:2377`). */
  address: string;
  apps: number;
  instances: number;
  /** Apps moved stop-first (their storage stays on this node). */
  stopFirst: string[];
  seconds: number;
}

/** `POST /api/swarm/init`: progress lines, then what was done, or what went wrong. */
export type SwarmInitEvent =
  | { type: 'line'; text: string }
  | { type: 'done'; done: SwarmInitDone }
  | { type: 'error'; error: string; hint?: string };
