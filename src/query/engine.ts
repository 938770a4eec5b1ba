// The statement engine of a single dnode: DDL, insert, show, and the hand-off of SELECT to
// the select path. (Initial stub so front ends compile; statements land incrementally.)
import { BasaltError } from '../common/errors.js';
import type { CreateEngine, Engine, Session, StatementResult } from './engine-api.js';

export const createEngine: CreateEngine = async (_options) => {
  const engine: Engine = {
    async execute(_sql: string, _session: Session): Promise<StatementResult> {
      throw new BasaltError('NOT_SUPPORTED', 'the statement engine is not implemented yet');
    },
    async *executeMany(sql: string, session: Session): AsyncIterable<StatementResult> {
      yield await engine.execute(sql, session);
    },
    async insertColumnar(): Promise<number> {
      throw new BasaltError('NOT_SUPPORTED', 'bulk insert is not implemented yet');
    },
    authenticate(user: string, password: string): boolean {
      return user === 'root' && password === 'taosdata';
    },
    async close(): Promise<void> {},
  };
  return engine;
};
