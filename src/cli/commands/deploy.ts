// `minicloud deploy <app> --image <ref>`: release a published image, its deploy log streamed as it runs.
import { UserError, validateImageRef, type LogEvent } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import { secretInput } from '../kit/secret.ts';

const deploy: Command = {
  name: 'deploy',
  usage: '<app> --image <ref> [--commit SHA] [--author A] [--message M] [--registry-user U --registry-password-stdin [--registry-server HOST]]',
  summary: 'deploy a published image (Docker runtime); updating the app is a deploy of a new tag',
  app: true,
  options: {
    image: { type: 'string' },
    commit: { type: 'string' },
    author: { type: 'string' },
    message: { type: 'string' },
    'registry-user': { type: 'string' },
    'registry-password': { type: 'string' },
    'registry-password-stdin': { type: 'boolean' },
    'registry-server': { type: 'string' },
  },
  help: [
    'The image is pulled (with the registry credentials, if given), its cloud_manifest.yml (or .json) is read',
    'from its root or working directory, and it is released like a build: health-checked, rolled back with',
    '`minicloud rollback`. The web process runs the image\'s own command; it listens on $PORT, or on the',
    'manifest\'s expose.port. Code is deployed with `git push` instead.',
    'The registry password: piped with --registry-password-stdin, or in MINICLOUD_REGISTRY_PASSWORD.',
    'An image built elsewhere (CI) is an ordinary release: --commit, --author and --message are shown in',
    '`minicloud releases` like a push\'s; without them, the image\'s OCI labels say (org.opencontainers.image.revision,',
    '.authors, .description or .title). A deploy token (`tokens:create --role deploy --app <app>`) may run this.',
  ].join('\n'),
  async run(ctx, args) {
    const image = flag(args, 'image');
    if (!image) throw new UserError('which image?', `e.g. \`minicloud deploy ${args.app} --image ghcr.io/me/app:1.2\``);
    validateImageRef(image);
    const user = flag(args, 'registry-user');
    const password = await secretInput(ctx, args, { flag: 'registry-password', env: 'MINICLOUD_REGISTRY_PASSWORD', what: 'registry password' });
    if ((user === undefined) !== (password === undefined)) {
      throw new UserError('registry credentials need both a user and a password', 'give --registry-user, and the password with --registry-password-stdin or MINICLOUD_REGISTRY_PASSWORD');
    }
    const server = flag(args, 'registry-server');
    const registry = user ? { username: user, password, ...(server && { server }) } : undefined;
    const origin = Object.fromEntries((['commit', 'author', 'message'] as const).flatMap((k) => (flag(args, k) === undefined ? [] : [[k, flag(args, k)]])));
    const stream = ctx.client().stream<LogEvent>(appPath(args.app, '/deploys'), 'POST', { image, ...origin, ...(registry && { registry }) });
    for await (const event of stream) {
      if (event.type === 'line') ctx.out(event.text);
      else if (event.type === 'end') return event.status === 'succeeded' ? 0 : 1;
    }
    ctx.warn('the deploy log ended before the deploy did; see `minicloud releases` for how it went');
    return 1;
  },
};

export const deployCommands: Command[] = [deploy];
