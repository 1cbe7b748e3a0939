// Attachment throughput and server memory: `node bench/attachments.ts`.
// Starts an embedded PostgreSQL and the API (`node src/server.ts`, local storage) in a child
// process, then measures, for a 20 MB file, upload and download MB/s through the multipart route
// and through the local presigned flow, and the server's peak RSS (VmRSS sampled from /proc)
// while 10 such uploads run at once, against its idle RSS. Target: under 64 MB of growth, i.e.
// files are streamed, never held whole in memory.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { signUpBench, startApiServer, startBenchDatabase, type ApiServer } from "./api-server.ts";
import { residentMiB } from "./processes.ts";

const FILE_BYTES = 20 * 1024 * 1024;
const CONCURRENT = 10;
const RSS_BUDGET_MB = 64;

/** Samples the server's RSS every 10 ms while `work` runs; returns the highest. */
async function peakRssDuring(server: ApiServer, work: () => Promise<unknown>): Promise<number> {
  const rss = () => residentMiB(server.child.process);
  let peak = rss();
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rss());
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

const mbps = (bytes: number, seconds: number) => (bytes / 1024 / 1024 / seconds).toFixed(1);

async function check(response: Response, expected: number): Promise<Response> {
  if (response.status !== expected) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response;
}

async function main() {
  const database = await startBenchDatabase("attachments", 56800);
  let server: ApiServer | undefined;
  try {
    server = await startApiServer({ databaseUrl: database.url, dataDir: path.join(database.workDir, "data"), nodeEnv: "production", fromPort: 56900, env: { STORAGE_DRIVER: "local" } });
    const base = server.base;
    const startRss = residentMiB(server.child.process);
    const signup = await signUpBench(base);
    const auth = { authorization: `Bearer ${signup.accessToken}` };
    const ticket = await (await check(await fetch(`${base}/v1/tickets`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ title: "Bench" }) }), 201)).json() as { id: string };
    const attachments = `${base}/v1/tickets/${ticket.id}/attachments`;

    // A PDF by its first bytes, random after that (incompressible, like real files).
    const file = Buffer.concat([Buffer.from("%PDF-1.7\n"), crypto.randomBytes(FILE_BYTES - 9)]);
    const blob = new Blob([new Uint8Array(file)], { type: "application/pdf" });

    const multipartUpload = async () => {
      const form = new FormData();
      form.append("file", blob, "bench.pdf");
      const body = await (await check(await fetch(`${attachments}/files`, { method: "POST", headers: auth, body: form }), 201)).json() as { data: Array<{ downloadUrl: string; size: number }> };
      return body.data[0]!;
    };
    const presignedUpload = async () => {
      const presign = await (await check(await fetch(`${attachments}/upload-url`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ filename: "bench.pdf", contentType: "application/pdf", size: FILE_BYTES }) }), 201)).json() as { uploadId: string; url: string; headers: Record<string, string> };
      await check(await fetch(presign.url, { method: "PUT", headers: presign.headers, body: blob }), 200);
      return (await (await check(await fetch(attachments, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ uploadId: presign.uploadId }) }), 201)).json()) as { downloadUrl: string; size: number };
    };
    const download = async (url: string) => {
      const response = await check(await fetch(url), 200);
      let bytes = 0;
      for await (const chunk of response.body!) bytes += (chunk as Uint8Array).length;
      if (bytes !== FILE_BYTES) throw new Error(`downloaded ${bytes} bytes, expected ${FILE_BYTES}`);
    };

    // Warm up (JIT, connection pool), then measure one file at a time: the median of 5 runs,
    // since client and server share the machine's cores.
    await download((await multipartUpload()).downloadUrl);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const lines: string[] = [];
    for (const [name, upload] of [["multipart (POST .../attachments/files)", multipartUpload], ["local presigned (PUT signed URL + register)", presignedUpload]] as const) {
      const ups: number[] = [];
      const downs: number[] = [];
      for (let run = 0; run < 5; run++) {
        const up = await timed(upload);
        ups.push(up.seconds);
        downs.push((await timed(() => download(up.result.downloadUrl))).seconds);
      }
      lines.push(`${name}: upload ${mbps(FILE_BYTES, median(ups))} MB/s, download ${mbps(FILE_BYTES, median(downs))} MB/s (median of 5)`);
    }

    const results: string[] = [];
    for (const [name, upload] of [["multipart", multipartUpload], ["local presigned", presignedUpload]] as const) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const idle = residentMiB(server.child.process);
      const { seconds, result: peak } = await timed(() => peakRssDuring(server!, () => Promise.all(Array.from({ length: CONCURRENT }, upload))));
      const growth = peak - idle;
      results.push(
        `${CONCURRENT} concurrent ${name} uploads of 20 MB: ${mbps(FILE_BYTES * CONCURRENT, seconds)} MB/s aggregate; server RSS idle ${idle.toFixed(1)} MB, peak ${peak.toFixed(1)} MB, growth ${growth.toFixed(1)} MB (${growth < RSS_BUDGET_MB ? "within" : "OVER"} the ${RSS_BUDGET_MB} MB budget)`,
      );
    }
    console.log(`Docket attachments benchmark (local storage, file ${FILE_BYTES / 1024 / 1024} MB, Node ${process.version}, ${os.cpus().length} cores)`);
    console.log(`  server RSS right after start: ${startRss.toFixed(1)} MB (the idle figures below are after the single-file runs, between the concurrent ones)`);
    for (const line of [...lines, ...results]) console.log(`  ${line}`);
  } finally {
    await server?.child.stop();
    await database.stop();
  }
}

await main();
