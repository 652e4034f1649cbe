// A host name that resolves to 127.0.0.1 in this process only, so the code under test sees a remote-looking name
// (not a loopback literal) while the bytes stay on this machine. Deterministic: no /etc/hosts, no DNS. Node's
// net.connect resolves through the dns module's `lookup`, which this replaces for the one name.
import dns from 'node:dns';

/** `.test` is reserved (RFC 2606): it can never be a real host. */
export const ALIAS_HOST = 'db.firefighter.test';

type Lookup = typeof dns.lookup;

/** Makes `name` resolve to 127.0.0.1; returns the function that undoes it. */
export function aliasToLoopback(name: string = ALIAS_HOST): () => void {
  const original: Lookup = dns.lookup;
  const patched = ((host: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const opts = (typeof options === 'function' ? {} : options ?? {}) as dns.LookupOptions | number;
    if (host !== name) return (original as (...args: unknown[]) => void)(host, opts, cb);
    const all = typeof opts === 'object' && opts.all === true;
    process.nextTick(() => (all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
  }) as unknown as Lookup;
  dns.lookup = patched;
  return () => {
    dns.lookup = original;
  };
}
