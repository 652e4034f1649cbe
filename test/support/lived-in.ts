// A database the master built and used for everything, as most clusters look before the role model.

/** What the master builds when it is the only user: one of every kind of object, in two schemas. */
export function livedInSql(schema: string): string {
  const s = `"${schema}"`;
  return `CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TYPE ${s}.mood AS ENUM ('ok', 'sad');
    CREATE TYPE ${s}.pair AS (a int, b int);
    CREATE TYPE ${s}.span AS RANGE (subtype = int4);
    CREATE DOMAIN ${s}.positive AS int CHECK (VALUE > 0);
    CREATE TABLE ${s}.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status text, mood ${s}.mood, qty ${s}.positive, p ${s}.pair);
    CREATE TABLE ${s}.legacy (id serial PRIMARY KEY, note text);
    CREATE SEQUENCE ${s}.free_seq;
    CREATE TABLE ${s}.events (at date NOT NULL, v int) PARTITION BY RANGE (at);
    CREATE TABLE ${s}.events_2026 PARTITION OF ${s}.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE VIEW ${s}.open_orders AS SELECT id, status FROM ${s}.orders WHERE status = 'open';
    CREATE MATERIALIZED VIEW ${s}.order_stats AS SELECT count(*) AS n FROM ${s}.orders;
    CREATE FUNCTION ${s}.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM ${s}.orders';
    CREATE PROCEDURE ${s}.close_all() LANGUAGE sql AS 'UPDATE ${s}.orders SET status = ''closed''';
    CREATE FUNCTION ${s}.add_state(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
    CREATE AGGREGATE ${s}.total(int) (SFUNC = ${s}.add_state, STYPE = int, INITCOND = '0');
    INSERT INTO ${s}.orders (status, qty) VALUES ('open', 1);`;
}
