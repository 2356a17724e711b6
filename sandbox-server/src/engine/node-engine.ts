/**
 * Where the learner engine lives, from the configuration: its options, socket and pidfile. Which
 * engine runs the nodes and how they are isolated is decided above this folder
 * (isolation/learner-nodes.ts).
 */
import path from 'node:path';
import { learnerPaths, type LearnerEngineOptions } from './learner.ts';

/** The settings the learner engine's place is made from (the server's config has them). */
export interface NodeEngineSettings {
  SWB_LEARNER_DIR: string;
  SWB_LEARNER_DISK_GB: number;
}

export function learnerEngineOptions(config: NodeEngineSettings): LearnerEngineOptions {
  return {
    root: config.SWB_LEARNER_DIR,
    runDir: '/run/swb-learner',
    diskGb: config.SWB_LEARNER_DISK_GB,
    addressPool: '10.90.0.0/16',
    logFile: path.join(config.SWB_LEARNER_DIR, 'dockerd.log'),
  };
}

/** The learner engine's socket (tests and scripts reach node containers through it). */
export function learnerSocket(config: NodeEngineSettings): string {
  return learnerPaths(learnerEngineOptions(config)).socket;
}

/** The learner engine's pidfile (the doctor reads its rlimits). */
export function learnerPidfile(config: NodeEngineSettings): string {
  return learnerPaths(learnerEngineOptions(config)).pidfile;
}
