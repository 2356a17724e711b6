import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialFileState, isDirty, withNodeCopy } from './file-state.ts';

const lesson = 'CREATE TABLE messages (body TEXT);\n';
const typed = "INSERT INTO messages (body) VALUES ('hi');\n";

describe('withNodeCopy', () => {
  it('shows the node copy when the learner has not typed', () => {
    const next = withNodeCopy(initialFileState(lesson), 'init.sql', 'from the node\n');
    assert.equal(next.text, 'from the node\n');
    assert.equal(next.source, 'node');
    assert.equal(next.version, 1, 'the editor is told to show the new text');
    assert.equal(isDirty(next), false);
  });

  it('keeps edits made on the lesson copy when the node has that same copy', () => {
    const next = withNodeCopy({ ...initialFileState(lesson), text: typed, saveWanted: true }, 'init.sql', lesson);
    assert.equal(next.text, typed);
    assert.equal(next.version, 0, 'the editor keeps its own text');
    assert.equal(isDirty(next), true);
    assert.equal(next.saveWanted, true, 'an early Save goes out now');
    assert.equal(next.message, null);
  });

  it('keeps edits, unsaved and not auto-saved, when the node copy differs', () => {
    const next = withNodeCopy({ ...initialFileState(lesson), text: typed, saveWanted: true }, 'init.sql', 'changed on the node\n');
    assert.equal(next.text, typed);
    assert.equal(next.saved, 'changed on the node\n');
    assert.equal(isDirty(next), true);
    assert.equal(next.saveWanted, false);
    assert.match(next.message?.text ?? '', /not the copy you started from/);
  });
});
