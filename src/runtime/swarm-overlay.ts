// Each app's own overlay network on the swarm: its tasks reach each other by process type (`web`, `<app>-web`) on
// every node, and no other app's tasks are on it. Attachable, so one-off runs and tools can join it.
import type Dockerode from 'dockerode';

const status = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** Makes the overlay when missing (another minicloud call making it meanwhile is fine). */
export async function ensureOverlay(docker: Dockerode, name: string, app: string): Promise<void> {
  try {
    await docker.getNetwork(name).inspect();
    return;
  } catch (e) {
    if (status(e) !== 404) throw e;
  }
  await docker.createNetwork({ Name: name, Driver: 'overlay', Attachable: true, CheckDuplicate: true, Labels: { 'minicloud.network': '1', 'minicloud.app': app } })
    .catch((e: unknown) => { if (status(e) !== 409) throw e; });
}

/** The app is gone: its overlay goes (a network still in use by a task going down is left for the next call). */
export async function removeOverlay(docker: Dockerode, name: string): Promise<void> {
  await docker.getNetwork(name).remove().catch((e: unknown) => { if (status(e) !== 404 && status(e) !== 409 && status(e) !== 403) throw e; });
}
