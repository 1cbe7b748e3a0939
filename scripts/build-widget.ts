// `npm run build:widget`: the chat widget's browser code, from TypeScript in widget/, bundled and
// minified by esbuild into widget/dist (not committed; `npm start` and the test suite build it
// first). Prints the gzipped sizes against their budgets (loader ≤ 10 KB, chat ≤ 60 KB).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { build, transform } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const source = path.join(root, "widget");
const dist = path.join(source, "dist");

export const BUDGETS = { "loader.js": 10 * 1024, "chat.js": 60 * 1024, "chat.css": 10 * 1024 } as const;

export async function buildWidget(): Promise<Record<keyof typeof BUDGETS, number>> {
  fs.mkdirSync(dist, { recursive: true });
  for (const entry of ["loader", "chat"]) {
    await build({
      entryPoints: [path.join(source, `${entry}.ts`)],
      outfile: path.join(dist, `${entry}.js`),
      bundle: true,
      minify: true,
      format: "iife",
      target: ["es2020"],
      legalComments: "none",
      logLevel: "warning",
    });
  }
  const css = await transform(fs.readFileSync(path.join(source, "chat.css"), "utf8"), { loader: "css", minify: true });
  fs.writeFileSync(path.join(dist, "chat.css"), css.code);
  const sizes = {} as Record<keyof typeof BUDGETS, number>;
  for (const file of Object.keys(BUDGETS) as Array<keyof typeof BUDGETS>) sizes[file] = zlib.gzipSync(fs.readFileSync(path.join(dist, file)), { level: 9 }).length;
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildWidget();
  let over = false;
  for (const [file, size] of Object.entries(sizes) as Array<[keyof typeof BUDGETS, number]>) {
    const budget = BUDGETS[file];
    over ||= size > budget;
    console.log(`widget/dist/${file}: ${(size / 1024).toFixed(1)} KB gzipped (budget ${budget / 1024} KB)${size > budget ? "  OVER BUDGET" : ""}`);
  }
  if (over) process.exit(1);
}
