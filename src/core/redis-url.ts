// Reading a Redis URL (redis://, rediss:// or unix:///path/to.sock) into ioredis-style options.
export interface RedisTarget {
  host?: string;
  port?: number;
  path?: string;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
}

export function parseRedisUrl(url: string): RedisTarget {
  const u = new URL(url);
  const auth = {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
  if (u.protocol === 'unix:') return { path: decodeURIComponent(u.pathname), ...auth };
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', // [::1] → ::1
    port: Number(u.port || 6379),
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    ...auth,
  };
}
