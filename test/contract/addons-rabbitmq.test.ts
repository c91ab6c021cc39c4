// Contract: the rabbitmq add-on against a real RabbitMQ server, driven through its management API.
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, expect, it } from 'vitest';
import { providerFor, type AddonProvider, type Provisioned } from '../../src/addons/index.ts';
import { UserError } from '../../src/core/index.ts';
import { freePort } from '../helpers/net.ts';
import { ensureRabbitManagement, requireService, SERVICES_ENV, setupOrFailEach, uniqueName } from '../helpers/services.ts';

let provider: AddonProvider; // made once the file's servers are up (setupOrFailEach)
const a = uniqueName('a');
const b = uniqueName('b');
let pa: Provisioned;
let pb: Provisioned;
const open: ChannelModel[] = [];

async function connect(url: string): Promise<ChannelModel> {
  const c = await amqp.connect(url);
  c.on('error', () => {});
  open.push(c);
  return c;
}

async function refusal(url: string): Promise<Error> {
  const c = await connect(url).catch((e: Error) => e);
  if (c instanceof Error) return c;
  throw new Error(`connected to ${new URL(url).pathname}`);
}

const onVhost = (url: string, vhost: string) => { const u = new URL(url); u.pathname = `/${encodeURIComponent(vhost)}`; return u.href; };

/** A call to the management API as the admin (GET unless told). */
async function mgmt(path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: unknown }> {
  const u = new URL(SERVICES_ENV.MINICLOUD_RABBITMQ_MANAGEMENT_URL!);
  const res = await fetch(`${u.origin}/api${path}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`, 'content-type': 'application/json' },
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

setupOrFailEach(async () => {
  provider = providerFor('rabbitmq', SERVICES_ENV);
  await requireService('RabbitMQ', ensureRabbitManagement);
  await requireService('RabbitMQ', () => provider.check());
  pa = await provider.create(a);
  pb = await provider.create(b);
}, ['rabbitmq']); // a node of this file's own: the machine's lets guest/guest in

afterAll(async () => {
  for (const c of open) await c.close().catch(() => {});
  for (const n of [a, b]) await provider?.destroy(n, { user: n }).catch(() => {});
  await provider?.close();
});

it('creates a vhost where the app can publish and consume', async () => {
  expect(pa.env.RABBITMQ_URL).toMatch(new RegExp(`^amqp://${a}:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:${new URL(SERVICES_ENV.MINICLOUD_RABBITMQ_URL!).port}/${a}$`));
  expect(pa.env.AMQP_URL).toBe(pa.env.RABBITMQ_URL);
  expect(pa.credentials).toMatchObject({ user: a, vhost: a, url: pa.env.RABBITMQ_URL });
  const c = await connect(pa.env.RABBITMQ_URL!);
  const ch = await c.createChannel();
  await ch.assertQueue('jobs', { durable: true });
  ch.sendToQueue('jobs', Buffer.from('hello'), { persistent: true });
  ch.sendToQueue('jobs', Buffer.from('second'), { persistent: true });
  let got: amqp.GetMessage | false = false;
  for (let i = 0; i < 50 && !got; i++) {
    got = await ch.get('jobs', { noAck: true });
    if (!got) await new Promise((r) => setTimeout(r, 100));
  }
  expect(got && got.content.toString()).toBe('hello');
  await ch.close();
});

it('says what the vhost holds: the message left in its queue', async () => {
  // The management API's queue counts lag the broker by its stats interval (5 s by default).
  let said = '';
  for (let i = 0; i < 60 && said !== '1 message in 1 queue'; i++) {
    said = await provider.usage(a, pa.credentials);
    if (said !== '1 message in 1 queue') await new Promise((r) => setTimeout(r, 500));
  }
  expect(said).toBe('1 message in 1 queue');
  expect(await provider.usage(b, pb.credentials)).toBe('0 messages in 0 queues');
});

it("refuses app B's user on app A's vhost, and the other way round", async () => {
  // RabbitMQ refuses a vhost at connection.open (530 NOT_ALLOWED); amqplib drops the reply text there,
  // so the refusal shows as the server closing the connection instead of opening it.
  const refusedAtOpen = /Expected ConnectionOpenOk; got <ConnectionClose/;
  expect((await refusal(onVhost(pb.env.RABBITMQ_URL!, a))).message).toMatch(refusedAtOpen);
  expect((await refusal(onVhost(pa.env.RABBITMQ_URL!, b))).message).toMatch(refusedAtOpen);
  expect((await refusal(onVhost(pa.env.RABBITMQ_URL!, '/'))).message).toMatch(refusedAtOpen); // nor the default vhost
  const perms = (await mgmt(`/users/${b}/permissions`)).body as { vhost: string }[];
  expect(perms.map((p) => p.vhost)).toEqual([b]);
});

it('creates idempotently: the queue stays, the new password works and the old one does not', async () => {
  const again = await provider.create(a);
  expect(again.credentials.password).not.toBe(pa.credentials.password);
  const ch = await (await connect(again.env.RABBITMQ_URL!)).createChannel();
  expect((await ch.checkQueue('jobs')).messageCount).toBe(1);
  expect((await refusal(pa.env.RABBITMQ_URL!)).message).toMatch(/403 \(ACCESS-REFUSED\)/);
  pa = again;
});

it('destroys the vhost and the user, closing open connections; a second destroy is harmless', async () => {
  const c = await connect(pa.env.RABBITMQ_URL!);
  const closed = new Promise((r) => c.once('close', r));
  await provider.destroy(a, pa.credentials);
  await closed;
  expect((await refusal(pa.env.RABBITMQ_URL!)).message).toMatch(/403 \(ACCESS-REFUSED\)/);
  expect((await mgmt(`/vhosts/${a}`)).status).toBe(404);
  expect((await mgmt(`/users/${a}`)).status).toBe(404);
  await provider.destroy(a, pa.credentials);
});

it('names a missing or malformed admin URL, and refuses unsafe names', async () => {
  expect(() => providerFor('rabbitmq', {})).toThrow(UserError);
  expect(() => providerFor('rabbitmq', {})).toThrow(/^MINICLOUD_RABBITMQ_URL is not set: set it to the shared RabbitMQ server's admin URL, e.g. amqp:\/\//);
  expect(() => providerFor('rabbitmq', { MINICLOUD_RABBITMQ_URL: 'amqp://minicloud:pw@127.0.0.1:5672', MINICLOUD_RABBITMQ_MANAGEMENT_URL: 'ftp://h' }))
    .toThrow(/MINICLOUD_RABBITMQ_MANAGEMENT_URL must be/);
  for (const bad of ['guest', '%2f', 'a/b', '..', 'A']) {
    await expect(provider.create(bad)).rejects.toThrow(UserError);
  }
  const closed = await freePort(); // nothing listens there
  const down = providerFor('rabbitmq', {
    MINICLOUD_RABBITMQ_URL: 'amqp://minicloud:pw@127.0.0.1:5672', MINICLOUD_RABBITMQ_MANAGEMENT_URL: `http://minicloud:pw@127.0.0.1:${closed}`,
  });
  const e = (await down.check().then(() => null, (x: unknown) => x)) as UserError;
  expect(e).toBeInstanceOf(UserError);
  expect(e.message).toMatch(/with MINICLOUD_RABBITMQ_MANAGEMENT_URL: .*ECONNREFUSED/);
  expect(e.hint).toMatch(/rabbitmq-plugins enable rabbitmq_management/);
});

it("refuses guest/guest as its admin URL, and a server where guest/guest still logs in", async () => {
  expect(() => providerFor('rabbitmq', { MINICLOUD_RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672' }))
    .toThrow(/MINICLOUD_RABBITMQ_URL logs in as guest\/guest, RabbitMQ's default administrator/);
  expect((await mgmt('/users/guest', 'PUT', { password: 'guest', tags: 'administrator' })).status).toBeLessThan(300);
  try {
    const e = await providerFor('rabbitmq', SERVICES_ENV).create(uniqueName('g')).then(() => null, (x: unknown) => x) as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toMatch(/lets guest\/guest in: every app that reaches it could log in as its administrator/);
    expect(e.hint).toMatch(/rabbitmqctl delete_user guest/);
  } finally {
    await mgmt('/users/guest', 'DELETE');
  }
  await expect(providerFor('rabbitmq', SERVICES_ENV).check()).resolves.toBeUndefined();
});
