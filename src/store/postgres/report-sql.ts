/** PostgreSQL's SQL of the site-audit reports (../report-sql.ts in PostgreSQL's dialect). */
import { reportSql } from '../report-sql.js';
import { PG_DIALECT } from '../read-sql.js';

/** Each report's statement on PostgreSQL. */
export const REPORT_SQL_PG = reportSql(PG_DIALECT);
