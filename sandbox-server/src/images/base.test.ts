import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDebianMirror } from './base.ts';

test('Debian mirror from deb822 sources', () => {
  const text = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\n';
  assert.equal(parseDebianMirror(text), 'http://deb.debian.org/debian');
});

test('Debian mirror from one-line sources, skipping security and third-party lines', () => {
  const text = [
    'deb http://security.debian.org/debian-security bookworm-security main',
    'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
    'deb [arch=amd64] http://mirror.example.org/debian/ bookworm main',
  ].join('\n');
  assert.equal(parseDebianMirror(text), 'http://mirror.example.org/debian');
  assert.equal(parseDebianMirror('# nothing\n'), undefined);
});
