import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { clientAddress, clientNetwork, cookie, hostAllowed, httpPolicy, networkOf } from './request.ts';

const req = (host: string | undefined, remote: string, xff?: string) =>
  ({ headers: { host, ...(xff ? { 'x-forwarded-for': xff } : {}) }, socket: { remoteAddress: remote } }) as unknown as http.IncomingMessage;
const policy = (env: { SWB_PUBLIC_URL?: string; SWB_ALLOWED_HOSTS?: string; SWB_TRUSTED_PROXY?: string } = {}) =>
  httpPolicy({ SWB_ALLOWED_HOSTS: '', SWB_TRUSTED_PROXY: '', ...env });

describe('host allow-list', () => {
  test('without a public URL: localhost and 127.0.0.1 only (any port)', () => {
    const p = policy();
    assert.ok(hostAllowed(req('localhost:3000', '127.0.0.1'), p));
    assert.ok(hostAllowed(req('127.0.0.1:3000', '127.0.0.1'), p));
    assert.ok(hostAllowed(req('[::1]:3000', '::1'), p));
    assert.ok(!hostAllowed(req('rebound.attacker.example:3000', '127.0.0.1'), p), 'a DNS-rebound name is refused');
    assert.ok(!hostAllowed(req(undefined, '127.0.0.1'), p), 'no Host header: refused');
  });
  test('with a public URL: its host (plus SWB_ALLOWED_HOSTS), and address literals, which cannot be rebound', () => {
    const p = policy({ SWB_PUBLIC_URL: 'https://Swarm.Example.org', SWB_ALLOWED_HOSTS: 'lab.example.org' });
    assert.ok(hostAllowed(req('swarm.example.org', '10.0.0.1'), p));
    assert.ok(hostAllowed(req('lab.example.org:3000', '10.0.0.1'), p));
    assert.ok(hostAllowed(req('192.168.1.5:3000', '10.0.0.1'), p), 'a LAN address literal');
    assert.ok(hostAllowed(req('[fd00::5]:3000', '10.0.0.1'), p));
    assert.ok(!hostAllowed(req('other.example.org', '10.0.0.1'), p));
    assert.ok(!hostAllowed(req('rebound.attacker.example', '127.0.0.1'), p));
  });
});

describe('cookies', () => {
  test('Secure only when the public URL is https', () => {
    assert.match(cookie(policy({ SWB_PUBLIC_URL: 'https://a.example' }), 'n', 'v', { maxAgeSeconds: 60 }), /; Secure$/);
    assert.doesNotMatch(cookie(policy({ SWB_PUBLIC_URL: 'http://a.example' }), 'n', 'v', { maxAgeSeconds: 60 }), /Secure/);
    assert.doesNotMatch(cookie(policy(), 'n', 'v', { maxAgeSeconds: 60 }), /Secure/);
    assert.match(cookie(policy(), 'n', 'v', { path: '/x', maxAgeSeconds: 60 }), /^n=v; Path=\/x; HttpOnly; SameSite=Strict; Max-Age=60$/);
  });
});

describe('client address', () => {
  test('the socket, unless it is a trusted proxy; loopback gets no exemption', () => {
    assert.equal(clientAddress(req('h', '127.0.0.1', '203.0.113.9'), policy()), '127.0.0.1', 'X-Forwarded-For from an untrusted peer is ignored');
    assert.equal(clientAddress(req('h', '::ffff:198.51.100.4', '203.0.113.9'), policy()), '198.51.100.4');
    const trusting = policy({ SWB_TRUSTED_PROXY: '127.0.0.1, 10.0.0.2' });
    assert.equal(clientAddress(req('h', '::ffff:127.0.0.1', '203.0.113.9'), trusting), '203.0.113.9');
    assert.equal(clientAddress(req('h', '127.0.0.1', '1.2.3.4, 203.0.113.9, 10.0.0.2'), trusting), '203.0.113.9', 'the nearest hop that is not a proxy');
    assert.equal(clientAddress(req('h', '127.0.0.1', 'garbage'), trusting), '127.0.0.1', 'a malformed header leaves the proxy as the client');
  });
  test('IPv6 clients count per /64', () => {
    assert.equal(networkOf('2001:db8:1:2:aaaa::1'), networkOf('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    assert.equal(networkOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.notEqual(networkOf('2001:db8:1:2::1'), networkOf('2001:db8:1:3::1'));
    assert.equal(networkOf('2001:0DB8:0001:0002::1'), '2001:db8:1:2::/64', 'case and leading zeros do not make another network');
    assert.equal(networkOf('2001:db8::1'), '2001:db8:0:0::/64', 'a :: inside the first four groups');
    assert.equal(networkOf('::1'), '0:0:0:0::/64');
    assert.equal(networkOf('203.0.113.9'), '203.0.113.9');
  });
  test('IPv4-mapped IPv6 is its IPv4 address, not one /64 for every IPv4 client', () => {
    assert.equal(networkOf('::ffff:203.0.113.9'), '203.0.113.9');
    assert.notEqual(networkOf('::ffff:203.0.113.9'), networkOf('::ffff:198.51.100.4'));
  });
  test('a request counts for the network of its client address', () => {
    const trusting = policy({ SWB_TRUSTED_PROXY: '127.0.0.1' });
    assert.equal(clientNetwork(req('h', '127.0.0.1', '2001:db8:1:2::a'), trusting), clientNetwork(req('h', '127.0.0.1', '2001:db8:1:2::b'), trusting));
    assert.equal(clientNetwork(req('h', '2001:db8:9:9::1', '203.0.113.9'), trusting), '2001:db8:9:9::/64', 'an untrusted peer is its own network');
  });
});
