// Membership changes, one server at a time (see README.md for why). A change is proposed as
// a 'conf' entry and takes effect on every replica when that entry is applied.
import { BasaltError } from '../common/errors.js';
import type { ConfState, NodeId } from './types.js';

export type ConfChangeType = 'addLearner' | 'addVoter' | 'remove';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly node: NodeId;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(`${cc.type}:${cc.node}`);
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const text = decoder.decode(data);
  const colon = text.indexOf(':');
  const type = text.slice(0, colon);
  const node = Number(text.slice(colon + 1));
  if ((type !== 'addLearner' && type !== 'addVoter' && type !== 'remove') || !Number.isInteger(node) || node <= 0) {
    throw new BasaltError('RAFT_CONFIG_INVALID', `malformed conf change entry '${text}'`);
  }
  return { type, node };
}

/** Refuses a proposal that would leave the group without voters. */
export function validateConfChange(conf: ConfState, cc: ConfChange): void {
  const next = applyToConfState(conf, cc);
  if (next.voters.length === 0) throw new BasaltError('RAFT_CONFIG_INVALID', 'a group needs at least one voter');
}

/** The membership after applying cc; throws RAFT_CONFIG_INVALID for a change that makes no sense. */
export function applyToConfState(conf: ConfState, cc: ConfChange): ConfState {
  const voters = conf.voters.filter((v) => v !== cc.node);
  const learners = conf.learners.filter((v) => v !== cc.node);
  const isVoter = conf.voters.includes(cc.node);
  switch (cc.type) {
    case 'addVoter':
      voters.push(cc.node);
      break;
    case 'addLearner':
      if (isVoter)
        throw new BasaltError('RAFT_CONFIG_INVALID', `node ${cc.node} is a voter; demotion is not supported`);
      learners.push(cc.node);
      break;
    case 'remove':
      if (!isVoter && !conf.learners.includes(cc.node)) {
        throw new BasaltError('RAFT_CONFIG_INVALID', `node ${cc.node} is not a member`);
      }
      break;
  }
  voters.sort((a, b) => a - b);
  learners.sort((a, b) => a - b);
  return { voters, learners };
}
