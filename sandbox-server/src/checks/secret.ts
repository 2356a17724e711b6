/**
 * `secret`: a service is given a Docker secret, and (optionally) reads it
 * through a `*_FILE` variable instead of keeping the value in plain text.
 */
import type { CheckParams } from '@contract/checks.ts';
import type { ClusterView, ServiceJson } from './engine.ts';
import { type Outcome, fail, pass, NO_SWARM } from './outcome.ts';
import { findService } from './services.ts';
import { list, q } from './words.ts';

interface SecretRef { SecretName?: string; File?: { Name?: string } }

export async function checkSecret(p: CheckParams<'secret'>, view: ClusterView): Promise<Outcome> {
  if (!(await view.swarmManager())) return fail(NO_SWARM);
  const found = findService(await view.services(), p.service.match);
  if ('missing' in found) return fail(found.missing);
  const s: ServiceJson = found.service;
  const name = q(s.Spec.Name);
  const spec = s.Spec.TaskTemplate?.ContainerSpec as { Secrets?: SecretRef[]; Env?: string[] } | undefined;
  const secrets = spec?.Secrets ?? [];
  const ref = secrets.find((x) => x.SecretName === p.name);
  if (!ref) {
    const have = secrets.map((x) => q(x.SecretName ?? '?'));
    return fail(`service ${name} is not given the secret ${q(p.name)} (${have.length ? `it has ${list(have)}` : 'it has no secrets'}); add it with docker service update --secret-add ${p.name} ${s.Spec.Name}`);
  }
  const file = `/run/secrets/${ref.File?.Name ?? p.name}`;
  if (!p.env) return pass(`service ${name} gets the secret ${q(p.name)} at ${file}`);
  const env = new Map((spec?.Env ?? []).map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]));
  const plain = p.env.replace(/_FILE$/, '');
  if (env.get(p.env) !== file) {
    const now = env.has(p.env) ? `it is ${q(env.get(p.env)!)}` : 'it is not set';
    return fail(`service ${name} gets the secret ${q(p.name)}, but ${q(p.env)} must point at its file ${q(file)} (${now})`);
  }
  if (env.has(plain)) {
    return fail(`service ${name} still has the password in plain text in ${q(plain)}: anyone who can inspect the service reads it; remove it with --env-rm ${plain}`);
  }
  return pass(`service ${name} reads ${q(p.name)} from ${file} through ${q(p.env)}, with no plain ${q(plain)}`);
}
