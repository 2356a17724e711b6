import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { languageFor } from './languages.ts';

describe('languageFor', () => {
  it('maps the lab files to highlighted languages', () => {
    assert.equal(languageFor('docker-stack.yml'), 'yaml');
    assert.equal(languageFor('init.sql'), 'mysql');
    assert.equal(languageFor('app/app.py'), 'python');
    assert.equal(languageFor('.env'), 'ini');
    assert.equal(languageFor('app/Dockerfile'), 'dockerfile');
    assert.equal(languageFor('app/requirements.txt'), 'plaintext');
  });
});
