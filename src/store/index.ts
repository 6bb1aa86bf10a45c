// `techtrail/store`: persistence of incidents. openStore() picks SQLite or PostgreSQL and loads only that
// driver; the SQL layer behind it (SqlStore, dialects, migrations) is internal.
export { DEFAULT_DB_FILE, type OpenStoreOptions, openStore, storeTarget } from "./open.js";
export {
  type ImportResult,
  IncidentFilter,
  type IncidentFilterInput,
  type IncidentPage,
  type Store,
} from "./store.js";
