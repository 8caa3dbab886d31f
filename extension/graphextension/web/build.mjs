// Builds dist/ (index.html, app.js, app.css), which web.go embeds.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

await rm("dist", { recursive: true, force: true });
await mkdir("dist");
await build({
  entryPoints: ["src/app.js", "src/app.css"],
  outdir: "dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof",
  logLevel: "info",
});
await copyFile("src/index.html", "dist/index.html");
