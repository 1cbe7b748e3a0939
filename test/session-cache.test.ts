import { describe, expect, it } from "vitest";
import { createSessionCache } from "../src/modules/auth/session-cache.ts";

describe("the session cache", () => {
  it("remembers a verified session until its TTL runs out", () => {
    let now = 1_000;
    const cache = createSessionCache(5_000, { now: () => now });
    cache.remember("s1", { role: "agent" }, cache.generation());
    expect(cache.get("s1")).toMatchObject({ role: "agent" });
    now += 5_001;
    expect(cache.get("s1")).toBeUndefined();
  });

  it("forgets everything when a session may have changed", () => {
    const cache = createSessionCache(5_000);
    cache.remember("s1", { role: "admin" }, cache.generation());
    cache.invalidate();
    expect(cache.get("s1")).toBeUndefined();
  });

  it("drops a read that started before a revocation committed, so it cannot resurrect the session", () => {
    const cache = createSessionCache(5_000);
    const before = cache.generation(); // a request reads the session (still valid)…
    cache.invalidate(); // …a logout commits meanwhile…
    cache.remember("s1", { role: "user" }, before); // …and the stale read arrives.
    expect(cache.get("s1")).toBeUndefined();
  });

  it("remembers nothing with a TTL of 0", () => {
    const cache = createSessionCache(0);
    cache.remember("s1", { role: "user" }, cache.generation());
    expect(cache.get("s1")).toBeUndefined();
  });
});
