// The studio page's bundle: src/main.js and the npm packages it imports, minified into
// one file, ../static/studio.js (or into the folder given as the first argument, which
// tests/test_studio_bundle.py uses to check the committed bundle is what this builds).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(here, "..", "static");

await build({
  entryPoints: [path.join(here, "src", "main.js")],
  outfile: path.join(outdir, "studio.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "linked",
  logLevel: "warning",
});
