// The add-on vocabulary: what a provider promises and what it hands back for the store and the app.
export type AddonKind = 'mariadb' | 'postgres' | 'rabbitmq' | 'redis';

/** What the store keeps for one attached add-on (secret): user, password, database/vhost/prefix, url. */
export interface Credentials { [k: string]: string }

export interface Provisioned {
  /** Config vars to merge into the app's environment, e.g. DATABASE_URL. */
  env: Record<string, string>;
  credentials: Credentials;
}

export interface AddonProvider {
  kind: AddonKind;
  /**
   * Creates the app's own database/vhost/ACL user with a random strong password; idempotent for the
   * same name: the data stays, the password is replaced (so the returned credentials are the valid ones).
   */
  create(name: string): Promise<Provisioned>;
  /** Drops the app's database/vhost/keys and its user. Safe if already gone. */
  destroy(name: string, credentials: Credentials): Promise<void>;
  /**
   * Puts back what a restart of the shared server may have lost (Redis keeps ACL users in memory),
   * with the stored credentials, so the app's URL keeps working. True when something was restored.
   */
  restore?(name: string, credentials: Credentials): Promise<boolean>;
  /**
   * Whether a database or user of that name is on the server already (another app's, another minicloud's):
   * a restore then provisions under another name instead of taking it over. Absent: the caller assumes it is.
   */
  exists?(name: string): Promise<boolean>;
  /** What the add-on holds now, for people (`12.3 MB`, `42 keys`, `3 messages in 1 queue`). */
  usage(name: string, credentials: Credentials): Promise<string>;
  /** Cheap check the shared server is reachable with the admin URL; throws a UserError naming the variable otherwise. */
  check(): Promise<void>;
  close(): Promise<void>;
}
