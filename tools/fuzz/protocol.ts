// Messages between the campaign (main) and a fuzzing process (child.ts).

export type Outcome = 'accepted' | 'refused' | 'crash' | 'hang' | 'memory' | 'corrupt';

export interface CaseResult {
  index: number;
  mutation: string;
  /** Total bytes of the case's files. */
  bytes: number;
  outcome: Outcome;
  /** The refusal's line, or what went wrong. */
  message: string;
  ms: number;
  rssBefore: number;
  rssAfter: number;
}

export interface ChildRequest {
  seed: number;
  kind: string;
  from: number;
  to: number;
}

export type ChildReport =
  | { type: 'ready' }
  | { type: 'start'; index: number }
  | { type: 'case'; mutation: string }
  | { type: 'result'; result: CaseResult }
  | { type: 'done' };
