// A build that failed because an image its Dockerfile starts FROM could not be pulled: no commit fixes a network
// problem, so the hint says what can (the server's network, a login, the image's name) and that the same push retries.

// Plain substrings of the lower-cased message, not one big alternation: the engine's text is untrusted enough
// (a registry's error body) that each test should be one linear pass.
const UNREACHABLE = ['dial tcp', 'no such host', 'i/o timeout', 'connection refused', 'connection reset', 'network is unreachable', 'tls handshake timeout', 'client.timeout', 'server misbehaving', 'temporary failure in name resolution', 'toomanyrequests', 'rate limit'];
const MISSING = ['pull access denied', 'manifest unknown', 'repository does not exist', 'not found: manifest', 'unauthorized', 'authentication required', 'denied: requested access'];
const PULLING = ['/v2/', 'pull', 'failed to resolve source metadata', 'error getting credentials', 'manifest'];
const has = (text: string, words: string[]) => words.some((w) => text.includes(w));
/** `manifest for <image> not found` */
const noManifest = (text: string) => { const at = text.indexOf('manifest for '); return at >= 0 && text.indexOf(' not found', at) > at; };
/** A RUN step's failure (its command's output may speak of a registry, e.g. npm's): not a pull. */
const RUN_STEP = /returned a non-zero code|did not complete successfully/;

/** What to tell about a failed image build whose engine message is `message`; null when it is no pull failure. */
export function pullFailure(message: string): { message: string; hint: string } | null {
  const text = message.trim().slice(0, 2000);
  const lower = text.toLowerCase();
  if (RUN_STEP.test(text) || !has(lower, PULLING)) return null;
  if (has(lower, UNREACHABLE)) {
    return {
      message: `a base image could not be pulled: the registry did not answer (${text})`,
      hint: "no commit can fix this: check the server's network and DNS (or the registry's status; `toomanyrequests`: log the engine in with `docker login`), or pull the image on the server yourself; then run the same `git push` again (the failed push left the branch where it was)",
    };
  }
  if (has(lower, MISSING) || noManifest(lower)) {
    return {
      message: `a base image could not be pulled: the registry has no such image, or wants a login (${text})`,
      hint: "check the image name and tag on the Dockerfile's FROM line (a fix there needs a commit); for a private image, log the server's engine in (`docker login <registry>`) and run the same `git push` again",
    };
  }
  return null;
}
