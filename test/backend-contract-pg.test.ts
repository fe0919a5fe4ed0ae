/** The backend contract suite (test/backend/contract.ts) against PostgreSQL, on a throwaway cluster (test/helpers/pg.ts). */
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { backendContract } from './backend/contract.js';
import { pgCluster } from './helpers/pg.js';

const pg = await pgCluster();
if (pg) backendContract('postgres', { open: () => PostgresBackend.open(pg.newDatabase()), sharedRuns: true });
