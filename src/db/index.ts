export { forUpdate, type Db, type Dialect, type Param, type Row, type Sql } from './types';
export { dbFromEnv, openDatabase, openDb } from './open';
export { migrate, migrationStatus, type MigrationStatus } from './migrate';
export { MIGRATIONS, type Migration } from './schema';
