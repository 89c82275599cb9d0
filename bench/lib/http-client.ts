import http from "node:http";

export interface HttpResponse {
  status: number;
  body: string;
}

/** Keep-alive HTTP/1.1 client over a few connections (requests beyond them queue in the agent). */
export function createHttpClient(baseUrl: string, { connections = 32, timeoutMs = 10_000 } = {}) {
  const url = new URL(baseUrl);
  // FIFO: every connection stays in use. With the default LIFO the spare ones idle past the
  // server's keep-alive timeout (5 s) and a request racing its close fails with ECONNRESET.
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: "fifo" });

  function request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  return { request, close: () => agent.destroy() };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
