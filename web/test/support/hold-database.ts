// Opens the embedded database in a data folder and keeps it open until killed.
// Used by the lock test as "another process" (run with tsx and the react-server condition).
import path from "node:path";
import { openEmbeddedDatabase } from "../../server/store/pglite";

const dataDir = process.argv[2]!;
await openEmbeddedDatabase({ dataDir, migrationsDir: path.resolve(import.meta.dirname, "../../../supabase/migrations"), log: () => {} });
process.stdout.write("ready\n");
setInterval(() => {}, 60_000);
