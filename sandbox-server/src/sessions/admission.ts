/**
 * Who may claim a cluster (issue 11): visitors without a workshop get at most
 * `perAddress` clusters per network at once and, together, `anonymousMax` of
 * the host's clusters (the rest is kept for workshops); with `public` off only
 * workshop learners get clusters. Workshop learners never reach these rules.
 */

export interface AdmissionRules {
  /** SWB_PUBLIC: visitors without a workshop may claim at all. */
  public: boolean;
  /** SWB_ANON_PER_ADDRESS */
  perAddress: number;
  /** floor(SWB_MAX_CLUSTERS * SWB_ANON_SHARE / 100) */
  anonymousMax: number;
  /** The network a client address counts as (IPv6: its /64). */
  networkOf: (address: string) => string;
}

/** A claim the rules refuse: an HTTP status, the words for the learner, and when to try again. */
export class ClaimRefused extends Error {
  constructor(
    readonly status: 403 | 429,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Seconds a refused learner is asked to wait: clusters free up when another tab's learner leaves. */
const RETRY_AFTER_S = 60;

export function admissionRefusal(
  rules: AdmissionRules,
  claim: { address: string | undefined; holders: (string | undefined)[]; idleMinutes: number },
): ClaimRefused | null {
  if (!rules.public) {
    return new ClaimRefused(403, 'This server runs sandboxes for workshops only: join with the code your instructor gives you (open /join).');
  }
  if (claim.address !== undefined) {
    const net = rules.networkOf(claim.address);
    const mine = claim.holders.filter((a) => a !== undefined && rules.networkOf(a) === net).length;
    if (mine >= rules.perAddress) {
      const n = rules.perAddress;
      return new ClaimRefused(
        429,
        `This server allows ${n} sandbox${n === 1 ? '' : 'es'} per network at once, and yours has ${mine}: close another tab's sandbox (an idle one is freed after ${claim.idleMinutes} min) or ask your instructor.`,
        RETRY_AFTER_S,
      );
    }
  }
  if (claim.holders.length >= rules.anonymousMax) {
    return new ClaimRefused(
      429,
      `All ${rules.anonymousMax} sandboxes for visitors are in use (the rest of this server is kept for workshops). Try again in a few minutes, or ask your instructor for a workshop code.`,
      RETRY_AFTER_S,
    );
  }
  return null;
}
