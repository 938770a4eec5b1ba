// databasesNamed: the database a statement is about (gateway routing) first, then every other
// `db` of a `db.table`, once each, however deep in the statement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databasesNamed, parseOne } from '../../src/sql/index.js';

test('databasesNamed: named database first, then db.table references in order, no repeats', () => {
  assert.deepEqual(databasesNamed(parseOne('use power')), ['power']);
  assert.deepEqual(databasesNamed(parseOne('alter database power keep 365')), ['power']);
  assert.deepEqual(databasesNamed(parseOne('select * from t')), []);
  assert.deepEqual(
    databasesNamed(parseOne('insert into a.t1 values (now, 1) b.t2 values (now, 2) a.t3 values (now, 3)')),
    ['a', 'b'],
  );
  assert.deepEqual(databasesNamed(parseOne('create table x.t (ts timestamp, v int)')), ['x']);
});

test('databasesNamed finds a db.table nested deeper than the old walks looked (12 levels)', () => {
  const nested = `select * from ${'(select * from '.repeat(20)}deep.t${')'.repeat(20)}`;
  assert.deepEqual(databasesNamed(parseOne(nested)), ['deep']);
});
