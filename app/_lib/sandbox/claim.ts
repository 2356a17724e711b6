/**
 * Claiming the learner's cluster (their first action): one request at a time, sent again when the
 * browser dropped it (a claim is idempotent), and a refusal (429: too many sandboxes on this
 * network, 403: workshops only) handed back with the server's words and its Retry-After.
 */
import type { ClusterInfo } from '@contract/protocol.ts';
import { SandboxHttpError, type SandboxHttp } from './http.ts';
import type { ClaimRefusal } from './types.ts';

/** A claim the browser could not deliver is sent again this many times (after 1 s, 2 s, 3 s). */
const CLAIM_RETRIES = 3;

export const UNEXPECTED_ANSWER = 'The sandbox server gave an unexpected answer.';

export interface ClaimHost {
  /** The cluster as last known (a claim is sent only while it is `unclaimed`). */
  cluster(): ClusterInfo | null;
  /** The server took the claim: its answer. */
  onClaimed(cluster: ClusterInfo): void;
  onRefused(refusal: ClaimRefusal): void;
}

export class ClaimRequests {
  private claiming = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly http: SandboxHttp,
    private readonly host: ClaimHost,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ask for the cluster unless a request is under way or the cluster is not `unclaimed`. */
  request(attempt = 0): void {
    if (this.claiming || this.host.cluster()?.status !== 'unclaimed') return;
    this.claiming = true;
    this.http
      .claimCluster()
      .then(({ cluster }) => {
        if (this.host.cluster()?.status === 'unclaimed') this.host.onClaimed(cluster);
      })
      .catch((err: unknown) => {
        // The browser dropped the request (a network change, a blip): a claim is idempotent, ask again.
        if (err instanceof SandboxHttpError && err.status === null && attempt < CLAIM_RETRIES) {
          this.timer = setTimeout(() => this.request(attempt + 1), 1000 * (attempt + 1));
          return;
        }
        // Refused: the server's words and when to try again; Start stays (the learner decides when).
        const message = err instanceof SandboxHttpError ? err.message : UNEXPECTED_ANSWER;
        const after = err instanceof SandboxHttpError ? err.retryAfterSeconds : null;
        this.host.onRefused({ message, retryAt: after === null ? null : this.now() + after * 1000 });
      })
      .finally(() => (this.claiming = false));
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}
