// What a Compose file asks minicloud for, checked: the build side parses it (src/build/compose.ts), the catalog side installs it.
import type { Manifest, ServiceImage } from './types.ts';

/** Services minicloud runs on its shared servers instead of as containers (`x-minicloud: { addon: postgres }`). */
export type ComposeAddonKind = 'postgres' | 'mariadb' | 'redis' | 'rabbitmq';

export interface ComposePlan {
  /** The release's image: the push's build (`build: .`), else the routed service's image. */
  image: string;
  /** Process types that run an image of their own (`db: { image: postgres:16 }`), the reference as the file names it. */
  services: Record<string, ServiceImage>;
  /** Process type → command, the routed service as `web`; other services keep their names. */
  processes: Record<string, string>;
  /** The Compose name of the routed service (its process type is `web`). */
  webService: string;
  /** The port and health check of the routed service, and the process types started once it answers (`afterWeb`). */
  manifest: Manifest;
  /** Every service's environment and env_file values together: config vars are per app. */
  env: Record<string, string>;
  /** Named volumes, each a minicloud volume at the path the services mount it. */
  volumes: Array<{ name: string; path: string }>;
  /** Services mapped to an add-on: the app gets the add-on's variables (DATABASE_URL, REDIS_URL...). */
  addons: Array<{ service: string; kind: ComposeAddonKind }>;
}
