/**
 * How the server judges each kind of the contract's registry (`checkKinds`, contract/checks.ts):
 * one entry per kind, typed over the registry's keys, so a kind added there does not typecheck
 * until it has an entry here. Everything the server does per kind reads this table: the dispatch
 * (evaluate.ts), polling (`polled`) and what an exercise is about (`service`, focus.ts).
 */
import { checkKind, type CheckKind, type CheckParams, type KindCheck, type ServiceMatch } from '@contract/checks.ts';
import { checkNetwork, checkNodes, checkSwarm } from './cluster.ts';
import type { ClusterView } from './engine.ts';
import { checkNode } from './node.ts';
import type { CheckContext, Outcome } from './outcome.ts';
import { checkContainer, checkFile, checkHttp } from './reach.ts';
import { checkRollout } from './rollout.ts';
import { checkSecret } from './secret.ts';
import { checkRescheduled, checkService, checkSpread, checkStack } from './services.ts';

export interface KindEvaluator<K extends CheckKind> {
  evaluate: (params: CheckParams<K>, view: ClusterView, ctx: CheckContext) => Promise<Outcome>;
  /** Its state can change without a Docker event (a page, a file): polled while unpassed. */
  polled?: true;
  /** The service the check is about (the visualizer's focus on the exercise). */
  service?: (params: CheckParams<K>) => ServiceMatch;
}

export const evaluators: { [K in CheckKind]: KindEvaluator<K> } = {
  swarm: { evaluate: checkSwarm },
  nodes: { evaluate: checkNodes },
  service: { evaluate: checkService, service: (p) => p.match },
  network: { evaluate: checkNetwork },
  spread: { evaluate: checkSpread, service: (p) => p.service.match },
  rescheduled: { evaluate: checkRescheduled, service: (p) => p.service.match },
  stack: { evaluate: checkStack },
  http: { evaluate: checkHttp, polled: true },
  file: { evaluate: checkFile, polled: true },
  container: { evaluate: checkContainer },
  node: { evaluate: checkNode },
  rollout: { evaluate: checkRollout, service: (p) => p.service.match },
  secret: { evaluate: checkSecret, service: (p) => p.service.match },
};

/** A one-kind check's kind, and its entry with the parameters it reads (the schema made sure they match). */
export function entryOf(c: KindCheck): { kind: CheckKind; evaluate: (view: ClusterView, ctx: CheckContext) => Promise<Outcome>; polled: boolean; service: () => ServiceMatch | undefined } {
  return bind(checkKind(c) as CheckKind, c);
}

function bind<K extends CheckKind>(kind: K, c: KindCheck) {
  const entry = evaluators[kind];
  const params = (c as Record<K, CheckParams<K>>)[kind];
  return {
    kind,
    evaluate: (view: ClusterView, ctx: CheckContext) => entry.evaluate(params, view, ctx),
    polled: entry.polled === true,
    service: () => entry.service?.(params),
  };
}
