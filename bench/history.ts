/**
 * History paging: `GET /api/chat/history?with=…&limit=50&before=…` from random cursors in a
 * conversation of 1,000,000 messages (seeded by SQL, not through the API) on the Postgres web
 * app. Baseline: the bare Next.js app (bench/lib/baseline-app.ts, same Next.js, production
 * build, pool 10) answering (c) the raw keyset query for a page of 50 as JSON, and (a) a blank
 * route, on the same database. For reference, through `pg` directly: the raw keyset query, and
 * the app's own SQL (claims, then `get_messages_page`, what the route calls), which split the gap into database and web time.
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
import { BASELINE_PAGE, ensureBaselineBuild, startBaselineApp } from "./lib/baseline-app.js";

const PAGE = 50;
const TARGET_RATIO = 1.5;
const CURSORS = 2_000;

interface Measurement {
  path: "API" | "bare Next.js keyset (c)" | "bare Next.js blank (a)" | "app SQL (pg)" | "raw keyset (pg)";
  concurrency: number;
  requests: number;
  perSecond: number;
  latency: Summary;
  /** Web app CPU, percent of one core, and CPU ms per request (rows served by Next.js). */
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
    const baselineBuild = await ensureBaselineBuild();
    if (BASELINE_PAGE !== PAGE) throw new Error("the baseline app's page size differs");
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
      const baseline = await startBaselineApp({ database: { mode: "postgres", databaseUrl }, cpuProf: args.cpuProf });
      cleanups.push(() => baseline.stop());
      const baselineHttp = createHttpClient(baseline.url, { connections: Math.max(...concurrencies) });
      cleanups.push(() => baselineHttp.close());
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
      const callBaseline = async (cursor: { seq: string }) => {
        const response = await baselineHttp.request("GET", `/history?conversation=${conversationId}&before=${cursor.seq}`);
        if (response.status !== 200) throw new Error(`baseline HTTP ${response.status}: ${response.body.slice(0, 300)}`);
      };
      const callBlank = async () => {
        const response = await baselineHttp.request("GET", "/blank");
        if (response.status !== 200) throw new Error(`baseline HTTP ${response.status}`);
      };
      const callAppSql = async (cursor: { id: string }) => {
        // What the store does per request (web/server/store/sql/client.ts, queryAsUser): the
        // claims and the call as one script, one round trip. Ids are uuids: safe as literals.
        const claims = JSON.stringify({ sub: alice.id, role: "authenticated" });
        const results = (await pool.query(
          `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '${claims}', true); ` +
            `select * from public.get_messages_page(p_peer_id => '${bob.id}', p_limit => '${PAGE}', p_before => '${cursor.id}')`,
        )) as unknown as pg.QueryResult[];
        const count = (results[results.length - 1]!.rows[0] as { message_count: number } | undefined)?.message_count;
        if (count !== PAGE) throw new Error(`app SQL returned ${count} rows`);
      };
      const callRaw = async (cursor: { seq: string }) => {
        const { rows } = await pool.query(
          `select * from public.messages where conversation_id = $1 and seq < $2 order by seq desc limit ${PAGE}`,
          [conversationId, cursor.seq],
        );
        if (rows.length !== PAGE) throw new Error(`raw query returned ${rows.length} rows`);
      };

      // Warm-up: route module, JIT, pools, the index in Postgres' cache.
      for (const call of [callApi, callBaseline, callBlank, callAppSql, callRaw]) await closedLoop(4, 300, cursors, call);

      const results: Measurement[] = [];
      for (const concurrency of concurrencies) {
        for (const [label, call, server] of [
          ["API", callApi, app.process.pid],
          ["bare Next.js keyset (c)", callBaseline, baseline.process.pid],
          ["bare Next.js blank (a)", callBlank, baseline.process.pid],
          ["app SQL (pg)", callAppSql, undefined],
          ["raw keyset (pg)", callRaw, undefined],
        ] as const) {
          const pids = [app.process.pid, baseline.process.pid];
          const cpuBefore = server ? readCpuSeconds(server) : 0;
          const other = otherCpuMeter(pids, { separatePostgres: true });
          const measured = await closedLoop(concurrency, requests, cursors, call);
          const cpuSeconds = server ? readCpuSeconds(server) - cpuBefore : 0;
          const web = { webCpu: ((cpuSeconds * measured.perSecond) / requests) * 100, webCpuMsPerRequest: (cpuSeconds * 1000) / requests };
          results.push({
            path: label,
            concurrency,
            requests,
            ...measured,
            ...(server && web),
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
        const bare = results.find((row) => row.path === "bare Next.js keyset (c)" && row.concurrency === concurrency)!;
        const raw = results.find((row) => row.path === "raw keyset (pg)" && row.concurrency === concurrency)!;
        const ratio = api.latency.p99 / bare.latency.p99;
        return {
          label: `history API p99 ≤ ${TARGET_RATIO}× bare Next.js keyset route (c) (${concurrency} in flight)`,
          pass: ratio <= TARGET_RATIO,
          detail:
            `${fmt(ratio, 2)}× (API ${fmt(api.latency.p99, 2)} ms vs ${fmt(bare.latency.p99, 2)} ms; ` +
            `web CPU ${fmt(api.webCpuMsPerRequest, 2)} vs ${fmt(bare.webCpuMsPerRequest, 2)} ms/req; raw query via pg ${fmt(raw.latency.p99, 2)} ms)`,
        };
      });
      return {
        targets,
        data: {
          options: { messages, requests, concurrencies, page: PAGE },
          build,
          baselineBuild,
          seedSeconds: seeded.historySeconds,
          results,
        },
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
