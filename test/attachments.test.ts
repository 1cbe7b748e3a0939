// Attachments on the default `local` driver: the presigned flow end to end (upload-url → PUT to
// the signed URL → register → download), uploads through the API, limits, type checks from the
// bytes, signed URL tampering and expiry, visibility and deletion. Real server, real disk.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { CSV, PDF, PNG, createTicket, htmlOfLength, formWith, requestUpload, uploadFiles, uploadPresigned } from "./support/attachments.ts";

let server: TestServer;
let owner: SignedUpTenant;
beforeAll(async () => {
  server = await startServer();
  owner = await signUp(server);
});
afterAll(async () => {
  await server.close();
});

const objectFiles = (ticketId: string, tenantId = owner.tenant.id) => {
  const dir = path.join(server.config.dataDir, "attachments", "tenants", tenantId, "tickets", ticketId, "attachments");
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => !name.endsWith(".meta.json")) : [];
};

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(await response.json()).toMatchObject({ status, code });
}

describe("the presigned flow (local driver)", () => {
  it("uploads to a signed URL, registers, lists and downloads as an attachment", async () => {
    const ticket = await createTicket(owner.client);
    const presign = await requestUpload(owner.client, ticket.id, { filename: "../../etc/screen shot.png", contentType: "image/png", size: PNG.length });
    expect(presign.response.status).toBe(201);
    expect(presign.data).toMatchObject({ method: "PUT", headers: { "content-type": "image/png" } });
    expect(presign.data!.url).toMatch(new RegExp(`^${server.url}/v1/local-storage/objects\\?token=`));
    expect(new Date(presign.data!.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const put = await fetch(presign.data!.url, { method: "PUT", headers: presign.data!.headers, body: PNG });
    expect(put.status).toBe(200);
    const registered = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: presign.data!.uploadId } });
    expect(registered.response.status).toBe(201);
    expect(registered.data).toMatchObject({ id: presign.data!.uploadId, ticketId: ticket.id, filename: "screen shot.png", contentType: "image/png", size: PNG.length, commentId: null, uploaderId: owner.admin.id });

    // Registering again (a retry) answers the same attachment.
    const again = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: presign.data!.uploadId } });
    expect(again.data?.id).toBe(presign.data!.uploadId);

    const listed = await owner.client.GET("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } } });
    expect(listed.data!.data.map((attachment) => attachment.id)).toEqual([presign.data!.uploadId]);

    const got = await owner.client.GET("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: ticket.id, attachmentId: presign.data!.uploadId } } });
    const download = await fetch(got.data!.downloadUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(download.headers.get("content-disposition")).toBe(`attachment; filename="screen shot.png"; filename*=UTF-8''screen%20shot.png`);
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PNG);

    // The audit trail shows an event once older transactions have finished: poll for it.
    await expect
      .poll(async () => {
        const events = await owner.client.GET("/v1/events", { params: { query: { type: ["attachment.created"] } } });
        return events.data!.data.some((event) => event.entity.id === presign.data!.uploadId && event.ticketId === ticket.id);
      })
      .toBe(true);
  });

  it("serves the registered bytes even when the still-valid upload URL is used again", async () => {
    const ticket = await createTicket(owner.client);
    const presign = (await requestUpload(owner.client, ticket.id, { filename: "photo.png", contentType: "image/png", size: PNG.length })).data!;
    expect((await fetch(presign.url, { method: "PUT", headers: presign.headers, body: PNG })).status).toBe(200);
    const registered = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: presign.uploadId } });
    expect(registered.response.status).toBe(201);

    await expectProblem(await fetch(presign.url, { method: "PUT", headers: presign.headers, body: htmlOfLength(PNG.length) }), 409, "already_uploaded");
    const attachment = await owner.client.GET("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: ticket.id, attachmentId: presign.uploadId } } });
    expect(Buffer.from(await (await fetch(attachment.data!.downloadUrl)).arrayBuffer())).toEqual(PNG);
  });

  it("keeps the object key to tenant, ticket and a server-chosen id, whatever the filename", async () => {
    const ticket = await createTicket(owner.client);
    const registered = await uploadPresigned(owner.client, ticket.id, "..\\..\\..\\boot.ini", "text/plain", Buffer.from("hello"));
    expect(registered.data!.filename).toBe("boot.ini");
    expect(objectFiles(ticket.id)).toEqual([registered.data!.id]);
  });

  it("refuses types and sizes beyond the tenant's limits when the URL is requested", async () => {
    const tenant = await signUp(server);
    const ticket = await createTicket(tenant.client);
    const tooBig = await requestUpload(tenant.client, ticket.id, { filename: "huge.pdf", contentType: "application/pdf", size: 25 * 1_048_576 + 1 });
    expect(tooBig.response.status).toBe(413);
    expect(tooBig.error).toMatchObject({ code: "attachment_too_large" });
    const html = await requestUpload(tenant.client, ticket.id, { filename: "x.html", contentType: "text/html", size: 10 });
    expect(html.response.status).toBe(415);
    expect(html.error).toMatchObject({ code: "attachment_type_not_allowed" });
    const svg = await requestUpload(tenant.client, ticket.id, { filename: "x.svg", contentType: "image/svg+xml", size: 10 });
    expect(svg.response.status).toBe(415);
    const invalid = await requestUpload(tenant.client, ticket.id, { filename: "x", contentType: "not a type", size: 0 });
    expect(invalid.response.status).toBe(400);

    // The tenant narrows the defaults.
    const settings = await tenant.client.PATCH("/v1/tenant", { body: { settings: { attachmentMaxBytes: 1000, attachmentContentTypes: ["image/png"] } } });
    expect(settings.error, JSON.stringify(settings.error)).toBeUndefined();
    expect((await requestUpload(tenant.client, ticket.id, { filename: "a.png", contentType: "image/png", size: 1001 })).error).toMatchObject({ status: 413, detail: expect.stringContaining("1000 bytes") });
    expect((await requestUpload(tenant.client, ticket.id, { filename: "a.pdf", contentType: "application/pdf", size: 100 })).response.status).toBe(415);
    expect((await requestUpload(tenant.client, ticket.id, { filename: "a.png", contentType: "image/png", size: 1000 })).response.status).toBe(201);
  });

  it("refuses to register an upload that never arrived", async () => {
    const ticket = await createTicket(owner.client);
    const presign = await requestUpload(owner.client, ticket.id, { filename: "a.png", contentType: "image/png", size: PNG.length });
    const registered = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: presign.data!.uploadId } });
    expect(registered.response.status).toBe(409);
    expect(registered.error).toMatchObject({ code: "upload_not_received" });
    const unknown = await owner.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: "00000000-0000-4000-8000-000000000000" } });
    expect(unknown.response.status).toBe(400);
    expect(unknown.error?.errors).toEqual([{ pointer: "/uploadId", detail: expect.any(String) }]);
  });

  it("refuses to register bytes that contradict the declared type, and deletes them", async () => {
    const ticket = await createTicket(owner.client);
    const pdfAsPng = Buffer.concat([PDF, Buffer.alloc(0)]);
    const registered = await uploadPresigned(owner.client, ticket.id, "innocent.png", "image/png", pdfAsPng);
    expect(registered.response.status).toBe(422);
    expect(registered.error).toMatchObject({ code: "attachment_content_mismatch", detail: expect.stringContaining("application/pdf") });
    expect(objectFiles(ticket.id)).toEqual([]);
    const binaryAsText = await uploadPresigned(owner.client, ticket.id, "notes.txt", "text/plain", PNG);
    expect(binaryAsText.response.status).toBe(422);
  });

  it("attaches to a comment of the ticket only", async () => {
    const ticket = await createTicket(owner.client);
    const comment = await owner.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id } }, body: { body: "See the screenshot", internal: false } });
    const onComment = await uploadPresigned(owner.client, ticket.id, "a.png", "image/png", PNG, { commentId: comment.data!.id });
    expect(onComment.data!.commentId).toBe(comment.data!.id);
    const other = await createTicket(owner.client);
    const elsewhere = await uploadPresigned(owner.client, other.id, "a.png", "image/png", PNG, { commentId: comment.data!.id });
    expect(elsewhere.response.status).toBe(400);
    expect(elsewhere.error?.errors).toEqual([{ pointer: "/commentId", detail: "is not a comment of this ticket" }]);
  });
});

/** A request with a Host header of our choosing (fetch does not let one set Host). */
function withHost(url: string, host: string, token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(url, { method: "POST", headers: { host, authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(payload) } }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
    });
    request.on("error", reject);
    request.end(payload);
  });
}

describe("the origin of signed links", () => {
  it("refuses a Host header the server does not answer to, and trusts loopback and ALLOWED_HOSTS", async () => {
    const allowing = await startServer({ allowedHosts: ["docket.internal"] });
    try {
      const tenant = await signUp(allowing);
      const ticket = await createTicket(tenant.client);
      const upload = `${allowing.url}/v1/tickets/${ticket.id}/attachments/upload-url`;
      const file = { filename: "a.png", contentType: "image/png", size: PNG.length };
      const token = tenant.client.tokens.accessToken!;

      const evil = await withHost(upload, "evil.example", token, file);
      expect(evil.status).toBe(400);
      expect(evil.body).toMatchObject({ code: "untrusted_host" });
      expect(String(evil.body.detail)).toMatch(/PUBLIC_URL/);

      expect((await withHost(upload, "docket.internal:8443", token, file)).body.url).toMatch(/^http:\/\/docket\.internal:8443\/v1\/local-storage\/objects\?token=/);
      expect((await withHost(upload, "localhost:3000", token, file)).body.url).toMatch(/^http:\/\/localhost:3000\//);
    } finally {
      await allowing.close();
    }
  });

  it("uses PUBLIC_URL whatever the Host header says", async () => {
    const behindPublicUrl = await startServer({ publicUrl: "https://docket.example.com" });
    try {
      const tenant = await signUp(behindPublicUrl);
      const ticket = await createTicket(tenant.client);
      const answer = await withHost(`${behindPublicUrl.url}/v1/tickets/${ticket.id}/attachments/upload-url`, "evil.example", tenant.client.tokens.accessToken!, { filename: "a.png", contentType: "image/png", size: PNG.length });
      expect(answer.body.url).toMatch(/^https:\/\/docket\.example\.com\/v1\/local-storage\/objects\?token=/);
    } finally {
      await behindPublicUrl.close();
    }
  });
});

describe("local signed URLs", () => {
  async function presign(contentType = "image/png", size = PNG.length) {
    const ticket = await createTicket(owner.client);
    return (await requestUpload(owner.client, ticket.id, { filename: "a.png", contentType, size })).data!;
  }

  it("rejects a tampered token or a token for another method with 403", async () => {
    const upload = await presign();
    const url = new URL(upload.url);
    const token = url.searchParams.get("token")!;
    const [payload, signature] = token.split(".");
    const grant = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...grant, size: 10 * PNG.length })).toString("base64url");
    await expectProblem(await fetch(`${server.url}/v1/local-storage/objects?token=${forged}.${signature}`, { method: "PUT", headers: upload.headers, body: PNG }), 403, "signed_url_invalid");
    const flipped = signature!.startsWith("A") ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`;
    await expectProblem(await fetch(`${server.url}/v1/local-storage/objects?token=${payload}.${flipped}`, { method: "PUT", headers: upload.headers, body: PNG }), 403, "signed_url_invalid");
    await expectProblem(await fetch(upload.url), 403, "signed_url_invalid"); // an upload URL does not download
    await expectProblem(await fetch(`${server.url}/v1/local-storage/objects?token=garbage`, { method: "PUT", headers: upload.headers, body: PNG }), 403, "signed_url_invalid");
  });

  it("enforces the signed type and size", async () => {
    const upload = await presign();
    await expectProblem(await fetch(upload.url, { method: "PUT", headers: { "content-type": "text/html" }, body: PNG }), 403, "signed_url_invalid");
    await expectProblem(await fetch(upload.url, { method: "PUT", headers: upload.headers, body: Buffer.concat([PNG, PNG]) }), 413, "attachment_too_large");
    await expectProblem(await fetch(upload.url, { method: "PUT", headers: upload.headers, body: PNG.subarray(0, 10) }), 400, "malformed_request");
    expect((await fetch(upload.url, { method: "PUT", headers: upload.headers, body: PNG })).status).toBe(200);
    // The same URL cannot replace what was uploaded.
    await expectProblem(await fetch(upload.url, { method: "PUT", headers: upload.headers, body: PNG }), 409, "already_uploaded");
  });

  it("rejects expired upload and download URLs with 403", async () => {
    const shortLived = await startServer({ attachments: { maxBytes: 1_048_576, uploadUrlTtlSeconds: 1, downloadUrlTtlSeconds: 1 } });
    try {
      const tenant = await signUp(shortLived);
      const ticket = await createTicket(tenant.client);
      const registered = await uploadPresigned(tenant.client, ticket.id, "a.png", "image/png", PNG);
      const late = (await requestUpload(tenant.client, ticket.id, { filename: "b.png", contentType: "image/png", size: PNG.length })).data!;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await expectProblem(await fetch(registered.data!.downloadUrl), 403, "signed_url_expired");
      await expectProblem(await fetch(late.url, { method: "PUT", headers: late.headers, body: PNG }), 403, "signed_url_expired");
    } finally {
      await shortLived.close();
    }
  });

  it("cleans up uploads never registered once they expire", async () => {
    const shortLived = await startServer({ attachments: { maxBytes: 1_048_576, uploadUrlTtlSeconds: 1, downloadUrlTtlSeconds: 1 } });
    try {
      const tenant = await signUp(shortLived);
      const ticket = await createTicket(tenant.client);
      const upload = (await requestUpload(tenant.client, ticket.id, { filename: "a.png", contentType: "image/png", size: PNG.length })).data!;
      expect((await fetch(upload.url, { method: "PUT", headers: upload.headers, body: PNG })).status).toBe(200);
      const file = path.join(shortLived.config.dataDir, "attachments", "uploads", "tenants", tenant.tenant.id, "tickets", ticket.id, upload.uploadId);
      expect(fs.existsSync(file)).toBe(true);
      // The URL lives 1 s, registration one more; the sweeper runs every second.
      await expect.poll(() => fs.existsSync(file), { timeout: 6000, interval: 250 }).toBe(false);
      const registered = await tenant.client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } }, body: { uploadId: upload.uploadId } });
      expect(registered.response.status).toBe(400);
    } finally {
      await shortLived.close();
    }
  });
});

describe("uploads through the API (multipart)", () => {
  it("stores several files, typed from their bytes", async () => {
    const ticket = await createTicket(owner.client);
    const form = formWith([
      { name: "screen.png", type: "image/png", bytes: PNG },
      { name: "report.pdf", bytes: PDF }, // no type given: read from the bytes
      { name: "export.csv", type: "text/csv", bytes: CSV },
    ]);
    const result = await uploadFiles(server.url, owner.client.tokens.accessToken!, ticket.id, form);
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    expect(result.body.data!.map(({ filename, contentType, size }) => ({ filename, contentType, size }))).toEqual([
      { filename: "screen.png", contentType: "image/png", size: PNG.length },
      { filename: "report.pdf", contentType: "application/pdf", size: PDF.length },
      { filename: "export.csv", contentType: "text/csv", size: CSV.length },
    ]);
    const pdf = await fetch(result.body.data![1]!.downloadUrl);
    expect(Buffer.from(await pdf.arrayBuffer())).toEqual(PDF);
    expect(objectFiles(ticket.id)).toHaveLength(3);
  });

  it("refuses more than five files", async () => {
    const ticket = await createTicket(owner.client);
    const form = formWith(Array.from({ length: 6 }, (_, i) => ({ name: `${i}.png`, type: "image/png", bytes: PNG })));
    const result = await uploadFiles(server.url, owner.client.tokens.accessToken!, ticket.id, form);
    expect(result.status).toBe(413);
    expect(result.body).toMatchObject({ code: "too_many_files" });
    expect(objectFiles(ticket.id)).toEqual([]);
  });

  it("refuses a file over the limit, a disallowed type, and bytes that contradict the type", async () => {
    const tenant = await signUp(server);
    await tenant.client.PATCH("/v1/tenant", { body: { settings: { attachmentMaxBytes: 4096, attachmentContentTypes: ["image/png", "text/plain", "text/csv"] } } });
    const ticket = await createTicket(tenant.client);
    const token = tenant.client.tokens.accessToken!;

    const big = await uploadFiles(server.url, token, ticket.id, formWith([{ name: "ok.png", type: "image/png", bytes: PNG }, { name: "big.txt", type: "text/plain", bytes: Buffer.alloc(20_000, "a") }]));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: "attachment_too_large" });
    expect(objectFiles(ticket.id, tenant.tenant.id)).toEqual([]); // the first file, stored already, went too
    const exact = await uploadFiles(server.url, token, ticket.id, formWith([{ name: "exact.txt", type: "text/plain", bytes: Buffer.alloc(4096, "a") }]));
    expect(exact.status).toBe(201);

    const pdf = await uploadFiles(server.url, token, ticket.id, formWith([{ name: "r.pdf", type: "application/pdf", bytes: PDF }]));
    expect(pdf.status).toBe(415);
    expect(pdf.body).toMatchObject({ code: "attachment_type_not_allowed" });

    const disguised = await uploadFiles(server.url, token, ticket.id, formWith([{ name: "cat.png", type: "image/png", bytes: PDF }]));
    expect(disguised.status).toBe(422);
    expect(disguised.body).toMatchObject({ code: "attachment_content_mismatch" });

    const html = await uploadFiles(server.url, token, ticket.id, formWith([{ name: "x.html", type: "text/html", bytes: Buffer.from("<script>alert(1)</script>") }]));
    expect(html.status).toBe(422);

    const listed = await tenant.client.GET("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } } });
    expect(listed.data!.data.map((attachment) => attachment.filename)).toEqual(["exact.txt"]);
  });

  it("answers 415 to a JSON body and 400 to an empty form", async () => {
    const ticket = await createTicket(owner.client);
    const json = await fetch(`${server.url}/v1/tickets/${ticket.id}/attachments/files`, { method: "POST", headers: { authorization: `Bearer ${owner.client.tokens.accessToken}`, "content-type": "application/json" }, body: "{}" });
    await expectProblem(json, 415, "unsupported_media_type");
    const empty = await uploadFiles(server.url, owner.client.tokens.accessToken!, ticket.id, new FormData());
    expect(empty.status).toBe(400);
  });
});

describe("visibility and deletion", () => {
  it("answers 404 for another tenant's and another requester's tickets", async () => {
    const ticket = await createTicket(owner.client);
    const attachment = (await uploadPresigned(owner.client, ticket.id, "a.png", "image/png", PNG)).data!;
    const stranger = await signUp(server);
    const requester = await addMember(server, owner, "user");
    for (const client of [stranger.client, requester.client]) {
      const path = { ticketId: ticket.id, attachmentId: attachment.id };
      expect((await client.GET("/v1/tickets/{ticketId}/attachments", { params: { path } })).response.status).toBe(404);
      expect((await client.GET("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path } })).response.status).toBe(404);
      expect((await client.DELETE("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path } })).response.status).toBe(404);
      expect((await requestUpload(client, ticket.id, { filename: "a.png", contentType: "image/png", size: 10 })).response.status).toBe(404);
      const multipart = await uploadFiles(server.url, client.tokens.accessToken!, ticket.id, formWith([{ name: "a.png", type: "image/png", bytes: PNG }]));
      expect(multipart.status).toBe(404);
    }
    // The other tenant cannot reach it through a ticket of its own either.
    const theirs = await createTicket(stranger.client);
    expect((await stranger.client.GET("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: theirs.id, attachmentId: attachment.id } } })).response.status).toBe(404);
  });

  it("shows a user the attachments of their own ticket, never those of internal comments", async () => {
    const requester = await addMember(server, owner, "user");
    const agent = await addMember(server, owner, "agent");
    const ticket = await createTicket(requester.client);
    const mine = (await uploadPresigned(requester.client, ticket.id, "mine.png", "image/png", PNG)).data!;
    const note = await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id } }, body: { body: "Internal", internal: true } });
    const internal = (await uploadPresigned(agent.client, ticket.id, "internal.png", "image/png", PNG, { commentId: note.data!.id })).data!;

    const asUser = await requester.client.GET("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } } });
    expect(asUser.data!.data.map((attachment) => attachment.id)).toEqual([mine.id]);
    expect((await requester.client.GET("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: ticket.id, attachmentId: internal.id } } })).response.status).toBe(404);
    const asAgent = await agent.client.GET("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId: ticket.id } } });
    expect(asAgent.data!.data.map((attachment) => attachment.id)).toEqual([mine.id, internal.id]);
    const userOnInternal = await uploadPresigned(requester.client, ticket.id, "x.png", "image/png", PNG, { commentId: note.data!.id });
    expect(userOnInternal.response.status).toBe(400);
  });

  it("lets the uploader or an admin delete, removing the object and recording the event", async () => {
    const agent = await addMember(server, owner, "agent");
    const other = await addMember(server, owner, "agent");
    const ticket = await createTicket(owner.client);
    const attachment = (await uploadPresigned(agent.client, ticket.id, "a.png", "image/png", PNG)).data!;
    const path = { ticketId: ticket.id, attachmentId: attachment.id };
    expect(objectFiles(ticket.id)).toEqual([attachment.id]);

    const denied = await other.client.DELETE("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path } });
    expect(denied.response.status).toBe(403);
    const deleted = await agent.client.DELETE("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path } });
    expect(deleted.response.status).toBe(204);
    expect(objectFiles(ticket.id)).toEqual([]);
    expect((await agent.client.GET("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path } })).response.status).toBe(404);
    await expectProblem(await fetch(attachment.downloadUrl), 404, "not_found");

    const byAdmin = (await uploadPresigned(agent.client, ticket.id, "b.png", "image/png", PNG)).data!;
    expect((await owner.client.DELETE("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: ticket.id, attachmentId: byAdmin.id } } })).response.status).toBe(204);

    const activity = await owner.client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId: ticket.id } } });
    const types = activity.data!.data.map((event) => event.type);
    expect(types.filter((type) => type === "attachment.deleted")).toHaveLength(2);
    expect(types.filter((type) => type === "attachment.created")).toHaveLength(2);
  });
});
