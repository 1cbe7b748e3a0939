import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file runs its own server on its own database; two at a time suits 2-core machines.
    maxWorkers: 2,
    // What the server does after answering (the event trail's horizon, the feed's consumers, mail)
    // can take seconds on a loaded 2-core machine: a poll gives it that long before it fails.
    expect: { poll: { timeout: 10_000 } },
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
