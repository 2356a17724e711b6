/**
 * The one door, against a real HTTP server on 127.0.0.1: the same guards for requests and upgrades
 * (Host name, origin, who, body), one error envelope, refusals as statuses before a handshake and
 * close codes after it, and paths outside the prefix left to the web app.
 * Run: node --import tsx --test sandbox-server/src/http/router.test.ts
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { closeCodes } from '@contract/protocol.ts';
import { createLogger } from '../log.ts';
import { HttpError, json, SocketRefusal } from './errors.ts';
import { httpPolicy } from './request.ts';
import { createRouter, matchPath, route, socketRoute } from './router.ts';

class Teapot extends Error {}

describe('matchPath', () => {
  it('segments, params, a rest and one trailing slash', () => {
    assert.deepEqual(matchPath('/s/health', '/s/health'), {});
    assert.deepEqual(matchPath('/s/health', '/s/health/'), {});
    assert.equal(matchPath('/s/health', '/s/health/x'), null);
    assert.deepEqual(matchPath('/s/w/:id/end', '/s/w/abc/end'), { id: 'abc' });
    assert.equal(matchPath('/s/w/:id/end', '/s/w//end'), null, 'a param is never empty');
    assert.deepEqual(matchPath('/s/files/*', '/s/files/a/b%2Fc/'), { '*': 'a/b%2Fc/' }, 'the rest is kept as it came');
    assert.equal(matchPath('/s/files/*', '/s/files/'), null);
    assert.equal(matchPath('/s/files/*', '/s/files'), null);
  });
});

describe('router', () => {
  const logged: string[] = [];
  const router = createRouter({
    prefix: '/s',
    policy: httpPolicy({ SWB_ALLOWED_HOSTS: '', SWB_TRUSTED_PROXY: '' }),
    log: createLogger('json', {}, 'error', (line) => void logged.push(line)),
    statusOf: [(err) => (err instanceof Teapot ? 418 : undefined)],
    routes: [
      route({ method: 'GET', path: '/s/ok', handle: ({ res }) => json(res, 200, { ok: true }) }),
      route({
        method: 'GET',
        path: '/s/mine/:name',
        params: { name: (raw) => /^[a-z%0-9]+$/.test(raw) },
        who: (req) => {
          if (req.headers.authorization !== 'yes') throw new HttpError(401, 'who are you?');
          return 'ada';
        },
        handle: ({ res, who, params }) => json(res, 200, { who, name: params.name }),
      }),
      route({ method: 'POST', path: '/s/echo', body: { maxBytes: 32, json: true }, handle: ({ res, json: body }) => json(res, 200, body) }),
      route({ method: 'GET', path: '/s/slow-down', handle: () => Promise.reject(new HttpError(429, 'later', 7)) }),
      route({ method: 'GET', path: '/s/teapot', handle: () => Promise.reject(new Teapot('short and stout')) }),
      route({ method: 'GET', path: '/s/engine', handle: () => Promise.reject(new Error('connect ECONNREFUSED /var/run/docker.sock')) }),
      route({ method: '*', path: '/s/opaque/*', opaqueOrigin: (req) => !!req.url?.includes('~'), handle: ({ res, params }) => json(res, 200, { rest: params['*'] }) }),
      route({ method: 'GET', path: '/old/:id', when: (url) => url.searchParams.has('key'), handle: ({ res }) => void res.writeHead(303, { Location: '/new' }).end() }),
    ],
    upgrades: [
      socketRoute({
        path: '/s/ws',
        maxPayload: 1024,
        who: (req) => {
          if (req.headers.authorization === 'no') throw new Teapot('not you');
          return req.headers.authorization ?? '';
        },
        open(ws, { who }) {
          if (who !== 'yes') throw new SocketRefusal(closeCodes.noSession, 'no session');
          ws.send('hello');
        },
      }),
    ],
  });
  const server = http.createServer((req, res) => router.handleRequest(req, res) || void res.writeHead(200).end('web app'));
  server.on('upgrade', (req, socket, head) => router.handleUpgrade(req, socket, head) || socket.end('HTTP/1.1 200 web app\r\n\r\n'));
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    router.close();
    server.close();
  });

  /** A raw request (fetch will not send another Host). */
  const get = (path: string, headers: http.OutgoingHttpHeaders = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get(`${base}${path}`, { headers }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
  const upgradeStatus = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status?: number; close?: number; message?: string }>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, { headers });
      ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
      ws.on('message', (data) => {
        resolve({ message: String(data) });
        ws.close();
      });
      ws.on('close', (code) => resolve({ close: code }));
      ws.on('error', () => undefined);
    });

  it('answers its routes and leaves everything outside the prefix to the web app', async () => {
    assert.deepEqual(JSON.parse((await get('/s/ok')).body), { ok: true });
    assert.equal((await get('/lesson')).body, 'web app');
    assert.equal((await get('/old/x')).body, 'web app', 'a route outside the prefix serves only what `when` accepts');
    assert.equal((await get('/old/x?key=1')).status, 303);
  });

  it('the door: a Host name not allowed, then another origin, before any route (also one that does not exist)', async () => {
    for (const path of ['/s/ok', '/s/nothing-here']) {
      const rebound = await get(path, { Host: 'attacker.example' });
      assert.equal(rebound.status, 403);
      assert.match(JSON.parse(rebound.body).error, /does not answer to the host name "attacker.example"/);
      const cross = await get(path, { Origin: 'http://evil.example' });
      assert.equal(cross.status, 403);
      assert.match(JSON.parse(cross.body).error, /cross-origin/);
    }
    assert.equal((await get('/s/ok', { Origin: 'null' })).status, 403, 'an opaque origin is another origin');
    assert.equal((await get('/s/opaque/a~b', { Origin: 'null' })).status, 200, 'unless the route admits it');
    assert.equal((await get('/s/opaque/ab', { Origin: 'null' })).status, 403);
  });

  it('one envelope: 404, who, params, statuses of domain errors, Retry-After, engine words for a 500', async () => {
    const missing = await get('/s/nothing-here');
    assert.equal(missing.status, 404);
    assert.match(JSON.parse(missing.body).error, /no sandbox route GET \/s\/nothing-here/);
    assert.equal((await get('/s/mine/bo')).status, 401);
    assert.deepEqual(JSON.parse((await get('/s/mine/b%6f', { Authorization: 'yes' })).body), { who: 'ada', name: 'bo' }, 'params arrive decoded');
    assert.equal((await get('/s/mine/B', { Authorization: 'yes' })).status, 404, 'a param that fails its test is not this route');
    assert.equal((await get('/s/mine/%e0', { Authorization: 'yes' })).status, 400, 'bad percent-encoding');
    assert.equal((await get('/s/teapot')).status, 418);
    const later = await fetch(`${base}/s/slow-down`);
    assert.equal(later.status, 429);
    assert.equal(later.headers.get('retry-after'), '7');
    assert.deepEqual(await later.json(), { error: 'later' });
    const engine = await get('/s/engine');
    assert.equal(engine.status, 500);
    assert.match(JSON.parse(engine.body).error, /Docker Engine behind the sandbox is not answering/);
    assert.ok(logged.some((l) => l.includes('ECONNREFUSED')), 'a 500 is logged');
  });

  it('declared bodies: JSON or a 400, and a size limit (413)', async () => {
    const post = (body: string) => fetch(`${base}/s/echo`, { method: 'POST', body });
    assert.deepEqual(await (await post('{"a":1}')).json(), { a: 1 });
    assert.deepEqual(await (await post('')).json(), {});
    const bad = await post('{nope');
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'the body must be JSON' });
    assert.equal((await post('null')).status, 400, 'not an object: a 400, not a 500 later');
    assert.equal((await post(`{"a":"${'x'.repeat(64)}"}`)).status, 413);
  });

  it('upgrades: the same door and `who` as statuses, refusals after the handshake as close codes, a restart as 4004', async () => {
    assert.deepEqual(await upgradeStatus('/s/ws', { Host: 'attacker.example' }), { status: 403 });
    assert.deepEqual(await upgradeStatus('/s/ws', { Origin: 'http://evil.example' }), { status: 403 });
    assert.deepEqual(await upgradeStatus('/s/nothing'), { status: 404 });
    assert.deepEqual(await upgradeStatus('/s/ws', { Authorization: 'no' }), { status: 418 });
    assert.deepEqual(await upgradeStatus('/s/ws'), { close: closeCodes.noSession });
    assert.deepEqual(await upgradeStatus('/s/ws', { Authorization: 'yes' }), { message: 'hello' });
    assert.deepEqual(await upgradeStatus('/elsewhere'), { status: 200 }, 'not ours: the web app answers');

    const open = new WebSocket(`${base.replace('http', 'ws')}/s/ws`, { headers: { Authorization: 'yes' } });
    await new Promise((resolve) => open.once('message', resolve));
    const closed = new Promise<number>((resolve) => open.once('close', resolve));
    router.close();
    assert.equal(await closed, closeCodes.serverRestart);
  });
});
