import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { terminalKeyAction } from './keys.ts';

const key = (code: string, mods: { ctrl?: boolean; shift?: boolean; alt?: boolean; meta?: boolean } = {}) => ({
  type: 'keydown',
  code,
  ctrlKey: !!mods.ctrl,
  shiftKey: !!mods.shift,
  altKey: !!mods.alt,
  metaKey: !!mods.meta,
});

describe('terminalKeyAction', () => {
  it('Ctrl+Shift+C copies; Ctrl+C copies only with a selection, else it interrupts', () => {
    assert.equal(terminalKeyAction(key('KeyC', { ctrl: true, shift: true }), false), 'copy');
    assert.equal(terminalKeyAction(key('KeyC', { ctrl: true }), true), 'copy');
    assert.equal(terminalKeyAction(key('KeyC', { ctrl: true }), false), null);
  });
  it('Ctrl+V and Ctrl+Shift+V paste', () => {
    assert.equal(terminalKeyAction(key('KeyV', { ctrl: true }), false), 'paste');
    assert.equal(terminalKeyAction(key('KeyV', { ctrl: true, shift: true }), false), 'paste');
  });
  it('Ctrl+Shift+F finds; other keys and key-ups go to the shell', () => {
    assert.equal(terminalKeyAction(key('KeyF', { ctrl: true, shift: true }), false), 'find');
    assert.equal(terminalKeyAction(key('KeyF', { ctrl: true }), false), null);
    assert.equal(terminalKeyAction({ ...key('KeyC', { ctrl: true, shift: true }), type: 'keyup' }, false), null);
    assert.equal(terminalKeyAction(key('KeyD', { ctrl: true }), false), null);
  });
});
