// Copies Quill's prebuilt distribution into the app's static files, so the app and its
// tests need no npm: run through `make editor` after changing the version in package.json.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const dist = join(modules, "quill", "dist");
const target = join(here, "..", "src", "fanfold", "static", "vendor", "quill");

// The source maps are not shipped: drop the comments that point at them, or Django's
// manifest storage fails on the missing files during collectstatic.
const withoutSourceMap = (text) => text.replace(/\n?(\/\/# sourceMappingURL=\S+|\/\*# sourceMappingURL=\S+ ?\*\/)\s*$/, "\n");

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const name of ["quill.js", "quill.snow.css"]) {
  writeFileSync(join(target, name), withoutSourceMap(readFileSync(join(dist, name), "utf8")));
}
copyFileSync(join(dist, "quill.js.LICENSE.txt"), join(target, "quill.js.LICENSE.txt"));
copyFileSync(join(modules, "quill", "LICENSE"), join(target, "LICENSE"));

// quill.js bundles its dependencies: their licences travel with it.
const notices = [];
for (const name of readdirSync(modules).sort()) {
  if (name.startsWith(".") || name === "quill") continue;
  const meta = JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8"));
  const licence = readdirSync(join(modules, name)).find((f) => /^licen[cs]e/i.test(f));
  const text = licence ? readFileSync(join(modules, name, licence), "utf8").trim() : "";
  notices.push(`${meta.name} ${meta.version} (${meta.license})\n\n${text}\n`);
}
writeFileSync(
  join(target, "THIRD-PARTY-LICENSES"),
  "Packages bundled into quill.js, with their licences.\n\n" + notices.join("\n" + "-".repeat(72) + "\n\n"),
);
const { version } = JSON.parse(readFileSync(join(modules, "quill", "package.json"), "utf8"));
writeFileSync(join(target, "VERSION"), `quill ${version}\n`);
console.log(`Quill ${version} copied to ${target}`);
