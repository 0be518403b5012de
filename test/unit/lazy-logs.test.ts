import { describe, expect, it } from 'vitest';
import { LazyLoggerProvider } from '../../src/sdk/providers/lazy-logs';

/** A stand-in for the logs SDK that records what its loggers emit. */
function fakeSdk(emitted: unknown[]) {
  return { getLogger: () => ({ emit: (r: unknown) => emitted.push(r), enabled: () => false }), forceFlush: async () => undefined, shutdown: async () => undefined } as never;
}

describe('LazyLoggerProvider', () => {
  it('makes the SDK at the first record, not before, and once', () => {
    let made = 0;
    const emitted: unknown[] = [];
    const provider = new LazyLoggerProvider(() => (made++, fakeSdk(emitted)), () => undefined, () => undefined);
    const a = provider.getLogger('a');
    const b = provider.getLogger('b');
    expect(made).toBe(0);
    a.emit({ body: 1 });
    b.emit({ body: 2 });
    expect(made).toBe(1);
    expect(emitted).toEqual([{ body: 1 }, { body: 2 }]);
    expect(b.enabled!()).toBe(false);
  });

  it('a failure to make it drops and counts that record, warns once, and the next record tries again', () => {
    let attempts = 0;
    const emitted: unknown[] = [];
    const warnings: Array<[string, boolean]> = [];
    let dropped = 0;
    const provider = new LazyLoggerProvider(
      () => {
        if (++attempts <= 2) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
        return fakeSdk(emitted);
      },
      (err, first) => warnings.push([(err as Error).message, first]),
      () => dropped++,
    );
    const logger = provider.getLogger('app');
    expect(() => logger.emit({ body: 'lost 1' })).not.toThrow();
    expect(() => logger.emit({ body: 'lost 2' })).not.toThrow();
    logger.emit({ body: 'kept' });
    expect(dropped).toBe(2);
    expect(emitted).toEqual([{ body: 'kept' }]);
    expect(warnings).toEqual([
      ['EMFILE: too many open files', true],
      ['EMFILE: too many open files', false],
    ]);
  });

  it('flush and shutdown before any record resolve without making the SDK', async () => {
    let made = 0;
    const provider = new LazyLoggerProvider(() => (made++, fakeSdk([])), () => undefined, () => undefined);
    await provider.forceFlush();
    await provider.shutdown();
    expect(made).toBe(0);
  });

  it('after shutdown (exit, or stepping aside for the app\'s own SDK) a record makes no SDK and is dropped', async () => {
    let made = 0;
    let dropped = 0;
    const provider = new LazyLoggerProvider(() => (made++, fakeSdk([])), () => undefined, () => dropped++);
    const logger = provider.getLogger('pino');
    await provider.shutdown();
    logger.emit({ body: 'after' });
    provider.getLogger('late').emit({ body: 'after' });
    expect(made).toBe(0);
    expect(dropped).toBe(0);
  });
});
