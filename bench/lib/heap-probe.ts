/**
 * Preloaded into a server under test (`node --expose-gc --import tsx --import ./bench/lib/heap-probe.ts …`)
 * when it is spawned with an IPC channel. Answers `{ type: "bench:memory" }` with the heap
 * after a forced GC, so the product needs no debug endpoint. Benchmark-only: never shipped.
 */
interface MemoryRequest {
  type: "bench:memory";
  id: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

if (typeof process.send === "function") {
  process.on("message", (request: MemoryRequest) => {
    if (request?.type !== "bench:memory") return;
    if (!gc) throw new Error("heap-probe needs node --expose-gc");
    // Several passes: the first may only promote what a later one frees.
    for (let pass = 0; pass < 3; pass++) gc();
    const { heapUsed, heapTotal, external, arrayBuffers, rss } = process.memoryUsage();
    process.send?.({ type: "bench:memory", id: request.id, heapUsed, heapTotal, external, arrayBuffers, rss });
  });
  // The server keeps itself alive; the probe must not be what holds the process open.
  process.channel?.unref();
}
