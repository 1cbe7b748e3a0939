// Attachments on the `s3` driver against a real S3 endpoint on loopback (s3rver, path-style, any
// credentials): the browser's presigned PUT straight to the bucket, registration checked with
// HeadObject and the first bytes, uploads through the API streamed to the bucket, presigned
// downloads, and deletion removing the object. (s3rver does not verify presigned signatures;
// signature and expiry checks are covered on the local driver.)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Config } from "../src/config.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { CSV, PDF, PNG, createTicket, htmlOfLength, formWith, requestUpload, uploadFiles, uploadPresigned } from "./support/attachments.ts";

const BUCKET = "docket-attachments";
let s3rver: S3rver;
let s3: S3Config;
let server: TestServer;
let owner: SignedUpTenant;
const bucketsDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-s3rver-"));

beforeAll(async () => {
  s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: bucketsDir, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  s3 = { bucket: BUCKET, region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  server = await startServer({ storage: { driver: "s3", s3 } });
  owner = await signUp(server);
});
afterAll(async () => {
  await server?.close();
  await s3rver?.close();
  fs.rmSync(bucketsDir, { recursive: true, force: true });
});

async function objectExists(key: string): Promise<boolean> {
  const client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  try {
    await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

const keyOf = (ticketId: string, attachmentId: string) => `tenants/${owner.tenant.id}/tickets/${ticketId}/attachments/${attachmentId}`;

describe("attachments on S3", () => {
  it("runs the presigned flow straight to the bucket and back", async () => {
    const ticket = await createTicket(owner.client);
    const presign = await requestUpload(owner.client, ticket.id, { filename: "report.pdf", contentType: "application/pdf", size: PDF.length });
    expect(presign.data!.url).toMatch(new RegExp(`^${s3.endpoint}/${BUCKET}/uploads/tenants/${owner.tenant.id}/tickets/${ticket.id}/`));
    expect(presign.data!.url).toContain("X-Amz-Signature=");

    // Not uploaded yet: refused.
    const early = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: presign.data!.uploadId } });
    expect(early.response.status).toBe(409);

    const put = await fetch(presign.data!.url, { method: "PUT", headers: presign.data!.headers, body: PDF });
    expect(put.status).toBe(200);
    const registered = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: presign.data!.uploadId } });
    expect(registered.response.status).toBe(201);
    expect(registered.data).toMatchObject({ contentType: "application/pdf", size: PDF.length, filename: "report.pdf" });

    const download = await fetch(registered.data!.downloadUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="report.pdf"/);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PDF);
  });

  it("serves the registered bytes even when the still-valid upload URL is used again", async () => {
    const ticket = await createTicket(owner.client);
    const presign = (await requestUpload(owner.client, ticket.id, { filename: "photo.png", contentType: "image/png", size: PNG.length })).data!;
    expect((await fetch(presign.url, { method: "PUT", headers: presign.headers, body: PNG })).status).toBe(200);
    const registered = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: presign.uploadId } });
    expect(registered.response.status).toBe(201);
    expect(await objectExists(keyOf(ticket.id, presign.uploadId))).toBe(true);

    // S3 accepts the second PUT (the URL is still valid), but nothing serves that key any more.
    expect((await fetch(presign.url, { method: "PUT", headers: presign.headers, body: htmlOfLength(PNG.length) })).status).toBe(200);
    const attachment = await owner.client.GET("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: ticket.id, attachmentId: presign.uploadId } } });
    const download = await fetch(attachment.data!.downloadUrl);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PNG);
  });

  it("refuses to register bytes that contradict the declared type, and deletes them", async () => {
    const ticket = await createTicket(owner.client);
    const registered = await uploadPresigned(owner.client, ticket.id, "photo.png", "image/png", PDF);
    expect(registered.response.status).toBe(422);
    expect(registered.error).toMatchObject({ code: "attachment_content_mismatch" });
  });

  it("streams multipart uploads to the bucket, and deleting removes the object", async () => {
    const ticket = await createTicket(owner.client);
    const result = await uploadFiles(server.url, owner.client.tokens.accessToken!, ticket.id, formWith([{ name: "a.png", bytes: PNG }, { name: "b.csv", type: "text/csv", bytes: CSV }]));
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    const [png, csv] = result.body.data!;
    expect(png).toMatchObject({ contentType: "image/png", size: PNG.length });
    expect(csv).toMatchObject({ contentType: "text/csv", size: CSV.length });
    expect(Buffer.from(await (await fetch(csv!.downloadUrl)).arrayBuffer())).toEqual(CSV);

    expect(await objectExists(keyOf(ticket.id, png!.id))).toBe(true);
    const deleted = await owner.client.DELETE("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: ticket.id, attachmentId: png!.id } } });
    expect(deleted.response.status).toBe(204);
    expect(await objectExists(keyOf(ticket.id, png!.id))).toBe(false);
    expect(await objectExists(keyOf(ticket.id, csv!.id))).toBe(true);
  });

  it("answers the local driver's routes with 404 when attachments live in S3", async () => {
    const response = await fetch(`${server.url}/v1/local-storage/objects?token=x.y`);
    expect(response.status).toBe(404);
  });
});
