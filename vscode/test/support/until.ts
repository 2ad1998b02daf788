/** Poll `fn` every `everyMs` until it returns something truthy; fail after `ms` naming `what`. */
export async function until<T>(fn: () => T | undefined, what: string, ms = 20000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
