import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { http, HttpResponse } from "msw";
import type { SqlClient, SqlExecutor } from "@/server/store/sql/client";

/**
 * Supabase Storage's HTTP API (/storage/v1) at its documented paths, for msw, backed by real
 * files in `dir` and by the real `storage.objects` table (from the shim): every call runs as the
 * JWT's user (or the service role), so the attachments migration's policies decide exactly as on
 * Supabase. Signed URLs carry an HS256 token with the object's path and an expiry.
 *
 * Paths: POST /object/upload/sign/B/NAME (a signed upload URL; needs the insert policy), PUT
 * /object/upload/sign/B/NAME?token= (the upload), POST /object/sign/B/NAME (a signed download
 * URL; needs the select policy), GET /object/sign/B/NAME?token=&download=, GET /object/B/NAME
 * (authenticated download), POST /object/B/NAME (upload, x-upsert), DELETE /object/B ({ prefixes }).
 */
export function createStorageEmulator({
  url,
  db,
  dir,
  claimsOf,
  serviceRoleKey,
}: {
  url: string;
  db: SqlClient;
  dir: string;
  claimsOf(request: Request): Promise<JWTPayload | null>;
  serviceRoleKey: string;
}) {
  const base = `${url}/storage/v1`;
  const secret = randomBytes(32);
  const state = { signedUploads: 0, signedDownloads: 0 };

  type Caller = { role: "service_role" } | { role: "authenticated"; claims: JWTPayload };
  async function callerOf(request: Request): Promise<Caller | null> {
    if (request.headers.get("authorization") === `Bearer ${serviceRoleKey}`) return { role: "service_role" };
    const claims = await claimsOf(request);
    return claims && claims.role === "authenticated" ? { role: "authenticated", claims } : null;
  }
  function asCaller<T>(caller: Caller, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const claims = caller.role === "service_role" ? { role: "service_role" } : caller.claims;
    const literal = JSON.stringify(claims).replace(/'/g, "''");
    const prelude = `select set_config('role', '${caller.role}', true), set_config('request.jwt.claims', '${literal}', true)`;
    return db.transaction(fn, { prelude });
  }

  /** "B/NAME" after `prefix` in the request's path. */
  function objectOf(request: Request, prefix: string): { bucket: string; name: string } {
    const rest = decodeURIComponent(new URL(request.url).pathname.slice(new URL(`${base}${prefix}`).pathname.length));
    const [bucket, ...parts] = rest.split("/");
    if (!bucket || parts.length === 0 || parts.some((part) => part === "" || part === "." || part === "..")) {
      throw new Error(`bad object path ${rest}`);
    }
    return { bucket, name: parts.join("/") };
  }
  const fileOf = (bucket: string, name: string) => path.join(dir, bucket, ...name.split("/"));

  // Storage's error bodies: HTTP 400 with the real status in `statusCode`.
  const storageError = (statusCode: string, error: string, message: string, status = 400) =>
    HttpResponse.json({ statusCode, error, message }, { status });
  const notFound = () => storageError("404", "not_found", "Object not found");
  const unauthorized = (message = "new row violates row-level security policy") => storageError("403", "Unauthorized", message);
  const isRlsViolation = (error: unknown) => (error as { code?: string }).code === "42501";

  const sign = (payload: Record<string, unknown>, expiresInSeconds: number) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .sign(secret);
  async function verifyToken(request: Request, bucket: string, name: string): Promise<Response | null> {
    const token = new URL(request.url).searchParams.get("token");
    try {
      const { payload } = await jwtVerify(token ?? "", secret);
      if (payload.url !== `${bucket}/${name}`) return storageError("400", "InvalidSignature", "The signature does not match");
      return null;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return storageError("400", "InvalidJWT", '"exp" claim timestamp check failed');
      return storageError("400", "InvalidJWT", "invalid signature");
    }
  }

  /** Inserts or replaces the object's row as `caller` (policies apply), then writes the bytes. */
  async function store(caller: Caller, bucket: string, name: string, bytes: Buffer, contentType: string, upsert: boolean) {
    const [limit] = await db.query<{ file_size_limit: number | string | null }>(
      "select file_size_limit from storage.buckets where id = $1",
      [bucket],
    );
    if (!limit) return storageError("404", "Bucket not found", "Bucket not found");
    if (limit.file_size_limit !== null && bytes.byteLength > Number(limit.file_size_limit)) {
      return storageError("413", "Payload too large", "The object exceeded the maximum allowed size", 413);
    }
    const metadata = { mimetype: contentType, size: bytes.byteLength };
    try {
      await asCaller(caller, async (tx) => {
        const existing = await tx.query("select 1 from storage.objects where bucket_id = $1 and name = $2", [bucket, name]);
        if (existing.length > 0 && !upsert) throw Object.assign(new Error("duplicate"), { code: "duplicate" });
        if (existing.length > 0) {
          await tx.query("update storage.objects set metadata = $3::jsonb, updated_at = now() where bucket_id = $1 and name = $2", [
            bucket,
            name,
            JSON.stringify(metadata),
          ]);
        } else {
          const owner = caller.role === "authenticated" ? String(caller.claims.sub) : null;
          await tx.query("insert into storage.objects (bucket_id, name, owner_id, metadata) values ($1, $2, $3, $4::jsonb)", [
            bucket,
            name,
            owner,
            JSON.stringify(metadata),
          ]);
        }
      });
    } catch (error) {
      if ((error as { code?: string }).code === "duplicate") return storageError("409", "Duplicate", "The resource already exists");
      if (isRlsViolation(error)) return unauthorized();
      throw error;
    }
    fs.mkdirSync(path.dirname(fileOf(bucket, name)), { recursive: true });
    fs.writeFileSync(fileOf(bucket, name), bytes);
    return HttpResponse.json({ Key: `${bucket}/${name}`, Id: name });
  }

  async function readable(caller: Caller, bucket: string, name: string): Promise<{ mimetype: string } | null> {
    const rows = await asCaller(caller, (tx) =>
      tx.query<{ metadata: { mimetype?: string } | null }>("select metadata from storage.objects where bucket_id = $1 and name = $2", [
        bucket,
        name,
      ]),
    );
    if (rows.length === 0 || !fs.existsSync(fileOf(bucket, name))) return null;
    return { mimetype: rows[0]!.metadata?.mimetype ?? "application/octet-stream" };
  }

  const handlers = [
    http.post(`${base}/object/upload/sign/*`, async ({ request }) => {
      const caller = await callerOf(request);
      if (!caller) return unauthorized("Invalid JWT");
      const { bucket, name } = objectOf(request, "/object/upload/sign/");
      // As Storage does: signing an upload needs the insert policy (checked here, nothing kept).
      try {
        await asCaller(caller, async (tx) => {
          await tx.query("insert into storage.objects (bucket_id, name) values ($1, $2)", [bucket, name]);
          throw Object.assign(new Error("rollback"), { code: "rollback" });
        });
      } catch (error) {
        if (isRlsViolation(error)) return unauthorized();
        if ((error as { code?: string }).code !== "rollback") throw error;
      }
      state.signedUploads++;
      const token = await sign({ url: `${bucket}/${name}`, upload: true }, 2 * 60 * 60);
      return HttpResponse.json({ url: `/object/upload/sign/${bucket}/${name}?token=${token}` });
    }),

    http.put(`${base}/object/upload/sign/*`, async ({ request }) => {
      const { bucket, name } = objectOf(request, "/object/upload/sign/");
      const refused = await verifyToken(request, bucket, name);
      if (refused) return refused;
      const bytes = Buffer.from(await request.arrayBuffer());
      const upsert = request.headers.get("x-upsert") === "true";
      // The token stands for the user who signed it: the row is written with Storage's own rights.
      return store(
        { role: "service_role" },
        bucket,
        name,
        bytes,
        request.headers.get("content-type") ?? "application/octet-stream",
        upsert,
      );
    }),

    http.post(`${base}/object/sign/*`, async ({ request }) => {
      const caller = await callerOf(request);
      if (!caller) return unauthorized("Invalid JWT");
      const { bucket, name } = objectOf(request, "/object/sign/");
      if (!(await readable(caller, bucket, name))) return notFound();
      const { expiresIn } = (await request.json()) as { expiresIn: number };
      state.signedDownloads++;
      const token = await sign({ url: `${bucket}/${name}` }, expiresIn);
      return HttpResponse.json({ signedURL: `/object/sign/${bucket}/${name}?token=${token}` });
    }),

    http.get(`${base}/object/sign/*`, async ({ request }) => {
      const { bucket, name } = objectOf(request, "/object/sign/");
      const refused = await verifyToken(request, bucket, name);
      if (refused) return refused;
      const object = await readable({ role: "service_role" }, bucket, name);
      if (!object) return notFound();
      const download = new URL(request.url).searchParams.get("download");
      const headers: Record<string, string> = { "content-type": object.mimetype };
      if (download !== null) headers["content-disposition"] = `attachment; filename="${download || name.split("/").pop()}"`;
      return new HttpResponse(fs.readFileSync(fileOf(bucket, name)), { headers });
    }),

    http.get(`${base}/object/*`, async ({ request }) => {
      const caller = await callerOf(request);
      if (!caller) return unauthorized("Invalid JWT");
      const { bucket, name } = objectOf(request, "/object/");
      const object = await readable(caller, bucket, name);
      if (!object) return notFound();
      return new HttpResponse(fs.readFileSync(fileOf(bucket, name)), { headers: { "content-type": object.mimetype } });
    }),

    http.post(`${base}/object/*`, async ({ request }) => {
      const caller = await callerOf(request);
      if (!caller) return unauthorized("Invalid JWT");
      const { bucket, name } = objectOf(request, "/object/");
      const bytes = Buffer.from(await request.arrayBuffer());
      const upsert = request.headers.get("x-upsert") === "true";
      return store(caller, bucket, name, bytes, request.headers.get("content-type") ?? "application/octet-stream", upsert);
    }),

    http.delete(`${base}/object/:bucket`, async ({ request, params }) => {
      const caller = await callerOf(request);
      if (!caller) return unauthorized("Invalid JWT");
      const bucket = String(params.bucket);
      const { prefixes } = (await request.json()) as { prefixes: string[] };
      // Without a delete policy a user removes nothing; the service role removes anything.
      const removed = await asCaller(caller, (tx) =>
        tx.query<{ name: string }>("delete from storage.objects where bucket_id = $1 and name = any ($2::text[]) returning name", [
          bucket,
          prefixes,
        ]),
      );
      for (const { name } of removed) fs.rmSync(fileOf(bucket, name), { force: true });
      return HttpResponse.json(removed.map(({ name }) => ({ name, bucket_id: bucket })));
    }),
  ];

  return {
    handlers,
    state,
    /** Whether the object's bytes are stored. */
    exists: (bucket: string, name: string) => fs.existsSync(fileOf(bucket, name)),
  };
}
