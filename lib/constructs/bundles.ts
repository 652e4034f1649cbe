// Where the prebuilt Lambda bundles live. They are built with the library (scripts/bundle-lambdas.mjs), so a
// consumer's synth only copies files: no Docker, no esbuild, no download.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The prebuilt Lambda bundles, by directory name. */
export enum BundleName {
  /** The role model's custom-resource handler. */
  ROLEMODEL_HANDLER = 'rolemodel-handler',
  /** The password broker. */
  BROKER_HANDLER = 'broker-handler',
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Installed package: dist/lib/constructs -> dist/lambda-bundles. Source checkout (tsx, vitest): lib/constructs -> dist/lambda-bundles. */
const ROOTS = [path.resolve(here, '..', '..', 'lambda-bundles'), path.resolve(here, '..', '..', 'dist', 'lambda-bundles')];

/** Directory of one bundle (holding `index.mjs`), for `lambda.Code.fromAsset`. Throws with the fix when it was never built. */
export function bundleDir(name: BundleName): string {
  for (const root of ROOTS) {
    const dir = path.join(root, name);
    if (existsSync(path.join(dir, 'index.mjs'))) return dir;
  }
  throw new Error(`lambda bundle "${name}" was not found in ${ROOTS.join(' or ')}; run "npm run build" (or "node scripts/bundle-lambdas.mjs") before synthesizing`);
}

/** The runtime's CA file holds the RDS CAs; Node 20+ runtimes read it only when told to. */
export const LAMBDA_RUNTIME_CA_FILE = '/var/runtime/ca-cert.pem';
