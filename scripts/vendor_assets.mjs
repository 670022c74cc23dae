// Copies the browser libraries the pages use from node_modules into static/vendor,
// so MediaPipe's wasm/models and the chart library are served by this server.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "vendor");
const copies = [
  ["node_modules/@mediapipe/holistic", "holistic"],
  ["node_modules/chart.js/dist", "chartjs"],
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [from, to] of copies) {
  cpSync(join(root, from), join(out, to), { recursive: true });
}
writeFileSync(join(out, ".built"), new Date().toISOString() + "\n");
console.log(`vendored ${copies.length} packages into static/vendor`);
