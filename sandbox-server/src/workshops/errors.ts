/**
 * What went wrong in a workshop operation, in the domain's words; the HTTP routes (http.ts) map the
 * kind to a status, the instructor socket sends the message.
 */
export type WorkshopErrorKind =
  /** The request itself is wrong (a bad field, an unknown lesson). */
  | 'invalid'
  /** Not this caller's workshop. */
  | 'forbidden'
  /** No such workshop, learner or session. */
  | 'not_found'
  /** Not now: the workshop ended, is full, has no one yet, a cluster is not ready. */
  | 'conflict'
  /** The workshop is over. */
  | 'gone'
  /** The workshop has not opened yet. */
  | 'too_early';

export class WorkshopError extends Error {
  constructor(
    readonly kind: WorkshopErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'WorkshopError';
  }
}
