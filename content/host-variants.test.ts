/**
 * Every lesson, rendered for both host facts: where IPVS works the page and Apply solution use the
 * seed's own commands (`-p 5000:5000`, the default VIP) and say nothing about IPVS; where it does
 * not, the host notes with their host-mode / dnsrr commands appear, each note that creates
 * something says how to undo it, and the solutions are the variants. Renders the compiled MDX with
 * the real host gate (app/_components/lesson/host.tsx) and checks Apply solution's steps through
 * the server's own lesson catalog.
 * Run: node --import tsx --test content/host-variants.test.ts
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createElement as h, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { HostGate, HostProvider, visibleFor } from '../app/_components/lesson/host.tsx';
import { mdxComponent } from '../app/_lib/content/mdx.ts';
import { LessonCatalog } from '../sandbox-server/src/checks/catalog.ts';
import { createLogger } from '../sandbox-server/src/log.ts';
import { loadAllLessons, type CompiledLesson } from './load.ts';
import { forHost, HOST_FACTS, type HostFact, type NoteKind } from '@contract/lesson.ts';

const contentDir = path.dirname(fileURLToPath(import.meta.url));

interface Rendered {
  text: string;
  /** Every command with a Run button: in the text, in notes, in exercise solutions. */
  commands: string[];
  /** Notes shown, with their commands. */
  notes: { kind: string; text: string; commands: string[] }[];
}

/** Render a lesson as its page would for this host, with stand-ins that keep only text and commands. */
function render(lesson: CompiledLesson, fact: HostFact): Rendered {
  const Content = mdxComponent(lesson.code);
  const cmd = (code: string) => h('pre', { 'data-cmd': '' }, code);
  const components = {
    Command: ({ code }: { code: string }) => cmd(code),
    Note: ({ kind, children }: { kind?: NoteKind; children?: ReactNode }) => h(HostGate, { kind, children: h('aside', { 'data-note': kind ?? 'info' }, children) }),
    Exercise: ({ id }: { id: string }) => {
      const ex = lesson.exercises.find((e) => e.id === id)!;
      return h(
        'section',
        { 'data-exercise': id },
        ...visibleFor(ex.hints, fact).map((x, i) => h('p', { key: i }, x.text)),
        ...visibleFor(ex.solution, fact).map((s) => cmd(s.run)),
      );
    },
    Hint: ({ children }: { children?: ReactNode }) => h('div', null, children),
    Solution: ({ children }: { children?: ReactNode }) => h('div', null, children),
    SwarmDiagram: () => null,
    FileRef: ({ path: p, children }: { path: string; children?: ReactNode }) => h('span', null, children ?? p),
  };
  const html = renderToStaticMarkup(h(HostProvider, { fact, children: h(Content, { components }) }));
  const decode = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const commandsIn = (s: string) => [...s.matchAll(/<pre data-cmd="">([\s\S]*?)<\/pre>/g)].map((m) => decode(m[1]!));
  const notes = [...html.matchAll(/<aside data-note="(\w+)">([\s\S]*?)<\/aside>/g)].map((m) => ({ kind: m[1]!, text: decode(m[2]!), commands: commandsIn(m[2]!) }));
  return { text: decode(html), commands: commandsIn(html), notes };
}

/** Commands that publish through the routing mesh (need IPVS) and the variants that avoid it. */
const INGRESS = /(^|\s)(-p|--publish[= ])\s*"?\d+:\d+(\/tcp)?"?(\s|$)/;
const VARIANT = /mode=host|--endpoint-mode dnsrr/;

describe('lessons follow the host: seed commands where IPVS works, variants only where it does not', () => {
  let lessons: CompiledLesson[];
  const pages = new Map<string, Rendered>();
  before(async () => {
    lessons = await loadAllLessons({ contentDir });
    for (const l of lessons) for (const f of HOST_FACTS) pages.set(`${l.slug}:${f}`, render(l, f));
  });
  const page = (slug: string, fact: HostFact) => {
    const p = pages.get(`${slug}:${fact}`);
    assert.ok(p, `no lesson ${slug}`);
    return p;
  };

  it('where IPVS works: no host note, no variant command, nothing about IPVS', () => {
    for (const l of lessons) {
      const p = page(l.slug, 'ipvs');
      assert.deepEqual(p.notes.filter((n) => n.kind === 'host'), [], `${l.file}: a host note shows on a host with IPVS`);
      const variants = p.commands.filter((c) => VARIANT.test(c));
      assert.deepEqual(variants, [], `${l.file}: variant commands on a host with IPVS`);
      assert.doesNotMatch(p.text, /(no|lacks?|without) IPVS/, `${l.file}: talks about a missing IPVS on a host that has it`);
    }
  });

  it('where IPVS works: the seed\'s own commands, in the text and in the solutions', () => {
    const has = (slug: string, command: string) => assert.ok(page(slug, 'ipvs').commands.includes(command), `${slug}: missing \`${command}\` on a host with IPVS`);
    has('first-service', 'docker service create -p 5000:5000 flask_app:3.0');
    has('database-service', 'docker service create --name database --env-file /lab/.env --mount type=bind,src=/lab/init.sql,dst=/docker-entrypoint-initdb.d/init.sql mysql/mysql-server:5.7');
    has('visualizer', 'docker service create --name=viz --publish=8080:8080/tcp --constraint=node.role==manager --mount=type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock dockersamples/visualizer');
  });

  it('without IPVS: every lesson that shows a routing-mesh command also shows its host-mode variant in a host note', () => {
    for (const l of lessons) {
      const p = page(l.slug, 'no-ipvs');
      const ingress = p.commands.filter((c) => INGRESS.test(c) && /service create/.test(c));
      if (!ingress.length) continue;
      const hostNotes = p.notes.filter((n) => n.kind === 'host');
      assert.ok(hostNotes.some((n) => n.commands.some((c) => /mode=host/.test(c))), `${l.file}: ${ingress[0]} has no host-mode variant on a host without IPVS`);
    }
    const has = (slug: string, command: string) => assert.ok(page(slug, 'no-ipvs').commands.includes(command), `${slug}: missing \`${command}\` on a host without IPVS`);
    has('first-service', 'docker service create --publish mode=host,target=5000,published=5000 flask_app:3.0');
    has('first-service', 'docker service create -p 5000:5000 flask_app:3.0');
    has('database-service', 'docker service create --name database --endpoint-mode dnsrr --env-file /lab/.env --mount type=bind,src=/lab/init.sql,dst=/docker-entrypoint-initdb.d/init.sql mysql/mysql-server:5.7');
    has('visualizer', 'docker service create --name=viz --publish=mode=host,published=8080,target=8080 --constraint=node.role==manager --mount=type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock dockersamples/visualizer');
  });

  it('without IPVS: every host note that creates something says how to undo it', () => {
    for (const l of lessons) {
      for (const n of page(l.slug, 'no-ipvs').notes.filter((x) => x.kind === 'host')) {
        if (!n.commands.some((c) => /\b(create|run)\b/.test(c))) continue;
        assert.match(n.text, /docker (service )?rm/, `${l.file}: a host note creates something but does not say how to undo it: ${n.text.slice(0, 120)}`);
      }
    }
  });

  it('each exercise shows the hints and solution of its host, and Apply solution runs the same steps', () => {
    const catalogs = { ipvs: new LessonCatalog(path.join(contentDir, 'lessons'), createLogger('json', {}, 'error'), { ipvs: true }), 'no-ipvs': new LessonCatalog(path.join(contentDir, 'lessons'), createLogger('json', {}, 'error'), { ipvs: false }) };
    for (const l of lessons) {
      for (const fact of HOST_FACTS) {
        const p = page(l.slug, fact);
        for (const ex of l.frontmatter.exercises) {
          const steps = forHost(ex.solution, fact);
          assert.ok(steps.length, `${l.file} ${ex.id}: no solution for ${fact}`);
          for (const s of steps) assert.ok(p.commands.includes(s.run), `${l.file} ${ex.id}: solution step not shown for ${fact}: ${s.run}`);
          // (The seed's own commands stay in the text everywhere: a learner may run them, and the check then explains.)
          if (fact === 'ipvs') for (const s of ex.solution.filter((x) => x.host === 'no-ipvs')) assert.ok(!p.commands.includes(s.run), `${l.file} ${ex.id}: variant step shown where IPVS works: ${s.run}`);
          const applied = catalogs[fact].get(l.slug)!.exercises.find((e) => e.id === ex.id)!.solution;
          assert.deepEqual(applied.map((s) => s.run), steps.map((s) => s.run), `${l.file} ${ex.id}: Apply solution on ${fact}`);
          for (const s of applied) {
            if (fact === 'ipvs') assert.doesNotMatch(s.run, VARIANT, `${l.file} ${ex.id}: Apply solution uses a variant where IPVS works`);
            else assert.ok(!(INGRESS.test(s.run) && /service create/.test(s.run)), `${l.file} ${ex.id}: Apply solution publishes through the routing mesh without IPVS: ${s.run}`);
          }
        }
      }
    }
  });
});
