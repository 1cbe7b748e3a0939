// The rule both channels obey (wants, shared with the email digests), as properties: a user who
// opted out of a kind on a channel is never notified on that channel, whatever the tenant's
// defaults; a muted ticket tells nothing but security notices; security notices always go.
// And the @mention syntax the contract documents.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, SECURITY_KINDS } from "../src/modules/notifications/kinds.ts";
import { wants, type PreferenceTable } from "../src/modules/notifications/preferences.ts";
import { parseMentions } from "../src/modules/notifications/mentions.ts";

const kind = fc.constantFrom(...NOTIFICATION_KINDS);
const channel = fc.constantFrom(...NOTIFICATION_CHANNELS);
const table: fc.Arbitrary<PreferenceTable> = fc.dictionary(kind, fc.dictionary(channel, fc.boolean()));

describe("wants(preferences, defaults, kind, channel, muted)", () => {
  it("never notifies a user on a channel they opted out of (security notices aside)", () => {
    fc.assert(
      fc.property(table, table, kind, channel, fc.boolean(), (preferences, defaults, k, c, muted) => {
        fc.pre(!SECURITY_KINDS.has(k));
        const optedOut: PreferenceTable = { ...preferences, [k]: { ...preferences[k], [c]: false } };
        expect(wants(optedOut, defaults, k, c, muted)).toBe(false);
      }),
    );
  });

  it("tells nothing about a muted ticket but security notices", () => {
    fc.assert(fc.property(table, table, kind, channel, (preferences, defaults, k, c) => {
      expect(wants(preferences, defaults, k, c, true)).toBe(SECURITY_KINDS.has(k));
    }));
  });

  it("always sends security notices, on every channel", () => {
    fc.assert(fc.property(table, table, fc.constantFrom(...SECURITY_KINDS), channel, fc.boolean(), (preferences, defaults, k, c, muted) => {
      expect(wants(preferences, defaults, k, c, muted)).toBe(true);
    }));
  });

  it("lets a user's choice win over the tenant's default, and the default over the built-in one", () => {
    fc.assert(
      fc.property(kind, channel, fc.boolean(), fc.boolean(), (k, c, own, tenant) => {
        fc.pre(!SECURITY_KINDS.has(k));
        expect(wants({ [k]: { [c]: own } }, { [k]: { [c]: tenant } }, k, c, false)).toBe(own);
        expect(wants({}, { [k]: { [c]: tenant } }, k, c, false)).toBe(tenant);
      }),
    );
  });
});

describe("parseMentions", () => {
  it("reads both documented forms and nothing inside an address", () => {
    const id = "0192f1a0-0000-7000-8000-0000000000a1";
    expect(parseMentions(`Hi @[Ada Admin](user:${id}), ask @Bob.Agent@acme.test. Mail x@acme.test or a@b@c.test`)).toEqual({
      userIds: [id],
      emails: ["bob.agent@acme.test"],
    });
    expect(parseMentions("no mentions here, just an email: ada@acme.test")).toEqual({ userIds: [], emails: [] });
  });
});
