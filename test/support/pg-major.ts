/** The PostgreSQL majors the tests run on. */
export type PgMajor = 15 | 16 | 17;
