// fastify older than 4.10 is left alone by @fastify/otel's initialization handler (it would make
// every request answer 500, measured on 4.0.0), also after a disable and enable.

import * as dc from 'diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { guardFastifyInitialization } from '../../src/instrumentations/fastify-guard';

/** Like @fastify/otel: enable() subscribes a fresh handler, disable() drops it. */
function fakeInstrumentation(wired: string[]) {
  const inst = {
    _handleInitialization: undefined as undefined | ((m: { fastify: { version: string } }) => void),
    enable() {
      if (this._handleInitialization) return;
      this._handleInitialization = (m) => wired.push(m.fastify.version);
      dc.subscribe('fastify.initialization', this._handleInitialization as (m: unknown) => void);
    },
    disable() {
      if (this._handleInitialization) dc.unsubscribe('fastify.initialization', this._handleInitialization as (m: unknown) => void);
      this._handleInitialization = undefined;
    },
  };
  inst.enable();
  return inst;
}

describe('guardFastifyInitialization', () => {
  it('wires fastify >= 4.10 only, before and after a disable and enable', () => {
    const wired: string[] = [];
    const inst = fakeInstrumentation(wired);
    guardFastifyInitialization(inst);
    const publish = (version: string) => dc.channel('fastify.initialization').publish({ fastify: { version } });
    publish('4.0.0');
    publish('4.10.0');
    publish('5.12.8');
    expect(wired).toEqual(['4.10.0', '5.12.8']);
    inst.disable();
    publish('5.0.0');
    inst.enable();
    publish('4.9.1');
    publish('4.28.0');
    expect(wired).toEqual(['4.10.0', '5.12.8', '4.28.0']);
    inst.disable();
  });
});
