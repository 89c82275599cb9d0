import { describe, expect, it } from "vitest";
import { exportedMethods } from "@/scripts/gen-route-manifest";
import { compareRoutePaths, toExpressPath } from "./route-table";

describe("toExpressPath", () => {
  it("when a path has dynamic segments, then they become Express parameters", () => {
    expect(toExpressPath("/api/chat/conversations/[id]/members/[userId]")).toBe("/api/chat/conversations/:id/members/:userId");
    expect(toExpressPath("/files/[...rest]")).toBe("/files/*rest");
    expect(toExpressPath("/docs/[[...slug]]")).toBe("/docs{/*slug}");
    expect(toExpressPath("/x/[user-id]")).toBe('/x/:"user-id"');
  });

  it("when a folder name holds path syntax, then it stays literal", () => {
    expect(toExpressPath("/")).toBe("/");
    expect(toExpressPath("/a:b/c*d")).toBe("/a\\:b/c\\*d");
  });
});

describe("exportedMethods", () => {
  it("when a module exports methods in any form, then each is found once and other exports are not", () => {
    const source = [
      'export const dynamic = "force-dynamic";',
      "export const GET = route(async () => json(1));",
      "export async function POST(request: Request) {}",
      "export function DELETE() {}",
      "const patch = () => 1;",
      "export { patch as PATCH, helper };",
    ].join("\n");
    expect(exportedMethods(source)).toEqual(["GET", "POST", "PATCH", "DELETE"]);
  });
});

describe("compareRoutePaths", () => {
  it("when a static and a dynamic path could both match, then the static one comes first, as in Next.js", () => {
    const paths = ["/x/[[...all]]", "/x/[...rest]", "/x/[id]/members", "/x/[id]", "/x/new", "/x", "/a/[id]"];
    expect(paths.sort(compareRoutePaths)).toEqual([
      "/a/[id]",
      "/x",
      "/x/new",
      "/x/[id]",
      "/x/[id]/members",
      "/x/[...rest]",
      "/x/[[...all]]",
    ]);
  });
});
