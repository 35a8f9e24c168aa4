import http from "node:http";

/** A pre-signed request to replay (SigV4 signatures stay valid for 15 minutes). */
export interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  firstError?: string;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Replays prepared requests over `connections` keep-alive connections, each sending one request
 * at a time, until `total` requests were sent or `maxSeconds` passed. Every request gets its own
 * prepared entry when `requests.length >= total` (writes), otherwise they are cycled (reads).
 */
export async function runLoad(
  url: string,
  requests: PreparedRequest[],
  opts: { connections: number; total: number; maxSeconds: number; expectStatus?: number },
): Promise<LoadResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies = new Float64Array(opts.total);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1000;

  const one = (req: PreparedRequest): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const r = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: "/",
          method: "POST",
          agent,
          headers: { ...req.headers, "content-length": Buffer.byteLength(req.body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            latencies[done++] = performance.now() - t0;
            if (res.statusCode !== (opts.expectStatus ?? 200)) {
              errors++;
              firstError ??= `${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`;
            }
            resolve();
          });
        },
      );
      r.on("error", (e) => {
        errors++;
        firstError ??= e.message;
        resolve();
      });
      r.end(req.body);
    });

  const worker = async () => {
    while (next < opts.total && performance.now() < deadline) {
      const i = next++;
      await one(requests[i % requests.length]);
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const used = latencies.subarray(0, done).sort();
  return { requests: done, errors, seconds, rps: done / seconds, p50ms: percentile(used, 50), p99ms: percentile(used, 99), firstError };
}
