// One line per step: what happened and the evidence; a summary at the end.
export class Report {
  private readonly results: { ok: boolean; label: string }[] = [];

  pass(label: string, evidence: string): void {
    this.results.push({ ok: true, label });
    console.log(`  ok    ${label.padEnd(14)} ${evidence}`);
  }

  fail(label: string, evidence: string): void {
    this.results.push({ ok: false, label });
    console.log(`  FAIL  ${label.padEnd(14)} ${evidence}`);
  }

  /** Records a step that must behave as described: `check` returns the evidence, or throws why it did not. */
  async step(label: string, check: () => Promise<string>): Promise<boolean> {
    try {
      this.pass(label, await check());
      return true;
    } catch (error) {
      this.fail(label, (error as Error).message);
      return false;
    }
  }

  section(title: string): void {
    console.log(`\n${title}`);
  }

  detail(text: string): void {
    for (const line of text.split('\n')) console.log(`        ${line}`);
  }

  summary(seconds: number): boolean {
    const failed = this.results.filter((r) => !r.ok);
    console.log(`\n${this.results.length - failed.length} passed, ${failed.length} failed in ${seconds.toFixed(1)} s`);
    if (failed.length > 0) console.log(`did not behave as described: ${failed.map((f) => f.label).join(', ')}`);
    return failed.length === 0;
  }
}

/** Runs something the server must refuse; returns its message, or throws if it was allowed. */
export async function refused(run: () => Promise<unknown>, expected?: RegExp): Promise<string> {
  try {
    await run();
  } catch (error) {
    // A bug in the demo itself is not a refusal by the server.
    if (error instanceof TypeError || error instanceof ReferenceError) throw error;
    const message = (error as Error).message;
    if (expected && !expected.test(message)) throw new Error(`refused for the wrong reason: ${message}`);
    return message;
  }
  throw new Error('it was allowed, but must be refused');
}
