/**
 * History paging: `GET /api/chat/history?with=…&limit=50&before=…` from random cursors in a
 * conversation of 1,000,000 messages (seeded by SQL, not through the API) on the Postgres web
 * app. Baselines through `pg` on the same database: the raw keyset query, and the app's own SQL
 * (its transaction: role + JWT claims, then `get_messages`), which splits the gap into database
 * and web-app time.
 *
 *   node --import tsx bench/history.ts [--quick] [--messages=1000000] [--requests=3000]
 *     [--concurrency=1,8] [--source=head] [--cpu-prof]
 */
import pg from "pg";
import { parseArgs } from "./lib/cli.js";
import { createHttpClient } from "./lib/http-client.js";
import { createDatabase, dropDatabase, scratchDatabaseName } from "./lib/postgres.js";
import { otherCpuMeter, readCpuSeconds } from "./lib/proc-stats.js";
import { runMain } from "./lib/processes.js";
import { fmt, printTable, runBenchmark, type Target } from "./lib/report.js";
import { createSecrets } from "./lib/secrets.js";
import { useSource } from "./lib/source.js";
import { summarize, type Summary } from "./lib/stats.js";
import { createBenchUsers, ensureBuild, seedDatabase, startWebApp } from "./lib/web-app.js";

const PAGE = 50;
const TARGET_RATIO = 1.5;
const CURSORS = 2_000;

interface Measurement {
  path: "API" | "app SQL (pg)" | "raw keyset (pg)";
  concurrency: number;
  requests: number;
  perSecond: number;
  latency: Summary;
  /** Web app CPU, percent of one core, and CPU ms per request (API rows only). */
  webCpu?: number;
  webCpuMsPerRequest?: number;
  /** The local Postgres cluster, percent of one core. */
  postgresCpu: number;
  /** Everything else on the machine (not Postgres, the web app or this process), percent of one core. */
  otherCpu: number;
}

export async function runHistory(argv = process.argv.slice(2)) {
  const args = parseArgs(argv);
  useSource(args.string("source"));
  const messages = args.number("messages", args.quick ? 100_000 : 1_000_000);
  const requests = args.number("requests", args.quick ? 500 : 3_000);
  const concurrencies = args.numbers("concurrency", [1, 8]);

  return runBenchmark("history", args.quick, async () => {
    const build = await ensureBuild({ force: args.has("rebuild") });
    const databaseName = scratchDatabaseName("history");
    const databaseUrl = await createDatabase(databaseName);
    const cleanups: (() => Promise<void> | void)[] = [() => dropDatabase(databaseName)];
    try {
      const users = createBenchUsers(2, "history");
      const alice = users[0]!;
      const bob = users[1]!;
      const seeded = await seedDatabase({ mode: "postgres", databaseUrl }, users, { userA: alice.id, userB: bob.id, messages });
      console.log(
        `history: seeded ${fmt(messages)} messages in ${fmt(seeded.historySeconds ?? 0)} s (conversation ${seeded.conversationId})`,
      );

      const { jwtSecret, webhookSecret } = createSecrets();
      // History never pushes; nothing listens at this address.
      const app = await startWebApp({
        database: { mode: "postgres", databaseUrl },
        jwtSecret,
        webhookSecret,
        socketServerUrl: "http://127.0.0.1:9",
        cpuProf: args.cpuProf,
      });
      cleanups.push(() => app.stop());
      const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
      cleanups.push(() => pool.end());
      const http = createHttpClient(app.url, { connections: Math.max(...concurrencies) });
      cleanups.push(() => http.close());

      // Random cursors with a full page before them.
      const wanted = Array.from({ length: CURSORS }, () => PAGE + 1 + Math.floor(Math.random() * (messages - PAGE)));
      const { rows: cursors } = await pool.query<{ id: string; seq: string }>(
        "select id, seq from public.messages where conversation_id = $1 and seq = any($2::bigint[])",
        [seeded.conversationId, wanted],
      );
      const conversationId = seeded.conversationId!;
      const cookie = `chat_session=${alice.token}`;
      let checked = 0;

      const callApi = async (cursor: { id: string }) => {
        const response = await http.request("GET", `/api/chat/history?with=${bob.id}&limit=${PAGE}&before=${cursor.id}`, { cookie });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${response.body.slice(0, 300)}`);
        // Spot-check that pages are full pages of this conversation.
        if (checked++ < 20) {
          const page = JSON.parse(response.body) as { data: { messages: { conversationId: string }[] } };
          if (page.data.messages.length !== PAGE || page.data.messages[0]?.conversationId !== conversationId)
            throw new Error("unexpected page");
        }
      };
      const callAppSql = async (cursor: { id: string }) => {
        // What the store does per request (web/server/store/sql-chat-store.ts, asUser).
        const client = await pool.connect();
        try {
          await client.query("begin");
          await client.query("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", [
            JSON.stringify({ sub: alice.id, role: "authenticated" }),
          ]);
          const { rows } = await client.query("select * from public.get_messages($1, $2, $3, $4)", [bob.id, PAGE, cursor.id, null]);
          await client.query("commit");
          if (rows.length !== PAGE) throw new Error(`app SQL returned ${rows.length} rows`);
        } finally {
          client.release();
        }
      };
      const callRaw = async (cursor: { seq: string }) => {
        const { rows } = await pool.query(
          `select * from public.messages where conversation_id = $1 and seq < $2 order by seq desc limit ${PAGE}`,
          [conversationId, cursor.seq],
        );
        if (rows.length !== PAGE) throw new Error(`raw query returned ${rows.length} rows`);
      };

      // Warm-up: route module, JIT, pools, the index in Postgres' cache.
      for (const call of [callApi, callAppSql, callRaw]) await closedLoop(4, 300, cursors, call);

      const results: Measurement[] = [];
      for (const concurrency of concurrencies) {
        for (const [label, call] of [
          ["API", callApi],
          ["app SQL (pg)", callAppSql],
          ["raw keyset (pg)", callRaw],
        ] as const) {
          const cpuBefore = readCpuSeconds(app.process.pid);
          const other = otherCpuMeter([app.process.pid], { separatePostgres: true });
          const measured = await closedLoop(concurrency, requests, cursors, call);
          const cpuSeconds = readCpuSeconds(app.process.pid) - cpuBefore;
          const web = { webCpu: ((cpuSeconds * measured.perSecond) / requests) * 100, webCpuMsPerRequest: (cpuSeconds * 1000) / requests };
          results.push({
            path: label,
            concurrency,
            requests,
            ...measured,
            ...(label === "API" && web),
            otherCpu: other.lap(),
            postgresCpu: other.postgresPercent,
          });
          console.log(
            `  ${label}, ${concurrency} in flight: p50 ${fmt(measured.latency.p50, 2)} ms, p99 ${fmt(measured.latency.p99, 2)} ms, ${Math.round(measured.perSecond)}/s`,
          );
        }
      }

      printTable(
        `History — ${PAGE}-message pages before random cursors in a ${fmt(messages)}-message conversation (Postgres), ${fmt(requests)} requests per row`,
        ["path", "in flight", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "web CPU %", "web ms/req", "Postgres CPU %", "other CPU %"],
        results.map((row) => [
          row.path,
          row.concurrency,
          Math.round(row.perSecond),
          fmt(row.latency.p50, 2),
          fmt(row.latency.p90, 2),
          fmt(row.latency.p99, 2),
          fmt(row.latency.max, 2),
          row.webCpu === undefined ? "" : Math.round(row.webCpu),
          row.webCpuMsPerRequest === undefined ? "" : fmt(row.webCpuMsPerRequest, 2),
          Math.round(row.postgresCpu),
          Math.round(row.otherCpu),
        ]),
      );

      const targets: Target[] = concurrencies.map((concurrency) => {
        const api = results.find((row) => row.path === "API" && row.concurrency === concurrency)!;
        const raw = results.find((row) => row.path === "raw keyset (pg)" && row.concurrency === concurrency)!;
        const ratio = api.latency.p99 / raw.latency.p99;
        return {
          label: `history API p99 ≤ ${TARGET_RATIO}× raw keyset query (${concurrency} in flight)`,
          pass: ratio <= TARGET_RATIO,
          detail: `${fmt(ratio, 2)}× (API ${fmt(api.latency.p99, 2)} ms vs raw ${fmt(raw.latency.p99, 2)} ms)`,
        };
      });
      return {
        targets,
        data: { options: { messages, requests, concurrencies, page: PAGE }, build, seedSeconds: seeded.historySeconds, results },
      };
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  });
}

/** `concurrency` loops share `total` requests over the cursors in random order. */
async function closedLoop<Cursor>(concurrency: number, total: number, cursors: Cursor[], call: (cursor: Cursor) => Promise<void>) {
  let issued = 0;
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) {
        issued++;
        const cursor = cursors[Math.floor(Math.random() * cursors.length)]!;
        const at = process.hrtime.bigint();
        await call(cursor);
        latencies.push(Number(process.hrtime.bigint() - at) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: latencies.length / seconds, latency: summarize(latencies) };
}

runMain(import.meta.url, () => runHistory());
