// Connection details from a database URL, as the command-line tools take them (the password only via env).
export interface Conn { host: string; port: string; user: string; password: string; database: string }

export function parseUrl(url: string, defaultPort: number): Conn {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port || String(defaultPort),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

export const pgArgs = (c: Conn, database = c.database) => ['-h', c.host, '-p', c.port, '-U', c.user, '-d', database];
export const pgEnv = (c: Conn) => ({ PGPASSWORD: c.password || undefined, PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'minicloud-backup' });
export const myArgs = (c: Conn) => ['--protocol=TCP', '-h', c.host, '-P', c.port, '-u', c.user];
export const myEnv = (c: Conn) => ({ MYSQL_PWD: c.password || undefined });

/** A scratch database's name: `mc_verify_<random>`. */
export const quotePg = (id: string) => `"${id.replace(/"/g, '""')}"`;
export const quoteMy = (id: string) => `\`${id.replace(/`/g, '``')}\``;
