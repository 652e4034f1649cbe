// How a catalog object is named in ALTER ... OWNER TO and in findings: one rule for the ownership checks.
import type { MisownedObject } from '../object-facts.js';
import { quoteIdent } from '../../plan/sql-text.js';

/** PostgreSQL's operator characters: an operator's name is written bare, so nothing else may reach the SQL. */
const OPERATOR_NAME = /^[+\-*/<>=~!@#%^&|`?]{1,63}$/;

export function objectName(o: MisownedObject): string {
  const qualified = `${quoteIdent(o.schema)}.${quoteIdent(o.name)}`;
  switch (o.kind) {
    case 'ROUTINE':
    case 'AGGREGATE':
      return `${qualified}(${o.args ?? ''})`;
    case 'OPERATOR':
      if (!OPERATOR_NAME.test(o.name)) throw new Error(`unexpected operator name ${JSON.stringify(o.name)} from the catalog; report it`);
      return `${quoteIdent(o.schema)}.${o.name} (${o.args ?? ''})`;
    case 'OPERATOR CLASS':
    case 'OPERATOR FAMILY':
      return `${qualified} USING ${quoteIdent(o.args ?? '')}`;
    default:
      return qualified;
  }
}
