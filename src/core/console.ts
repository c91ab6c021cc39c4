// The console's protocol (`minicloud run` from a terminal), shared by the API and the CLI.

/**
 * `minicloud run` from a terminal: a websocket to GET /api/apps/:app/console. Binary messages are the terminal's
 * bytes both ways (keystrokes in, output out); text messages are these JSON control messages. The client starts
 * with `start` (the command travels here, not in the URL, which proxies log); the server ends with `exit` or `error`.
 */
export type ConsoleClientMessage =
  | { type: 'start'; command: string; cols: number; rows: number; term?: string }
  | { type: 'resize'; cols: number; rows: number };
export type ConsoleServerMessage =
  | { type: 'exit'; code: number; reason?: 'idle' | 'hangup' }
  | { type: 'error'; error: string; hint?: string };
