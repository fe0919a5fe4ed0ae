/** SQLite's SQL of the site-audit reports (../report-sql.ts in SQLite's dialect). Exported so docs and tests show exactly what runs. */
import { reportSql } from '../report-sql.js';
import { SQLITE_DIALECT } from '../read-sql.js';

/** Each report's statement on SQLite. */
export const REPORT_SQL = reportSql(SQLITE_DIALECT);
