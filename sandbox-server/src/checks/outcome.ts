/** The verdict of one check: passed or not, what is expected and what is there, and host notes. */
export interface Outcome {
  passed: boolean;
  message: string;
  /** What this host cannot do that matters here (no IPVS), in plain words. */
  notes: string[];
}

export const pass = (message: string, notes: string[] = []): Outcome => ({ passed: true, message, notes });
export const fail = (message: string, notes: string[] = []): Outcome => ({ passed: false, message, notes });

/** Context of one evaluation: `since` = when the learner began the lesson (ms); earlier task failures do not count. */
export interface CheckContext {
  since?: number;
}

export const NO_SWARM = 'there is no swarm yet (no node is a swarm manager): start one on manager with `docker swarm init`';
