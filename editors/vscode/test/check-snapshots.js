// The snapshot tool writes a missing .snap file and passes; in a test run a missing snapshot
// is a failure instead, so that a new snapshot is always generated on purpose and committed
// (`npm run test:grammar:update`). The snapshot sources in test/snap/ are symbolic links to
// the repository's real rule files.
const fs = require("fs");
const path = require("path");

const dir = path.join(__dirname, "snap");
const sources = fs.readdirSync(dir).filter((f) => f.endsWith(".law"));
let failed = false;
if (sources.length === 0) {
  console.error(`no snapshot sources (*.law) in ${dir}`);
  failed = true;
}
for (const source of sources) {
  const file = path.join(dir, source);
  if (!fs.existsSync(file)) {
    console.error(`${file}: the rule file it links to is missing (${fs.readlinkSync(file)})`);
    failed = true;
  } else if (!fs.existsSync(file + ".snap")) {
    console.error(`${file}.snap is missing: run \`npm run test:grammar:update\` and commit it`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
