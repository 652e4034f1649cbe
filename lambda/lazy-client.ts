// AWS SDK clients that only some invocations use (RDS for the instance lookup of status, revoke and sweep;
// Secrets Manager for `delivery: secret`) are imported on first use: a cold start then loads only what a
// request needs (the RDS client alone is a quarter of the bundle and about 25 ms of its load time).

/** A client, or a function that makes it (once, on first use). */
export type ClientSource<T> = T | (() => Promise<T>);

/** Makes the value on the first call and returns the same promise after; a failed make is tried again. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make().catch((error: unknown) => {
    made = undefined;
    throw error;
  }));
}

export async function resolveClient<T>(source: ClientSource<T>): Promise<T> {
  return typeof source === 'function' ? (source as () => Promise<T>)() : source;
}
