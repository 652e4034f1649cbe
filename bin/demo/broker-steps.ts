// Demo steps 3 and 4: the on-call request, and the revoke (filled in with the broker handler).
import type { DemoContext } from './rolemodel-steps.js';

export async function runBrokerSteps(ctx: DemoContext): Promise<void> {
  ctx.report.section('3. on-call request and 4. revoke: waiting for the broker handler');
}
