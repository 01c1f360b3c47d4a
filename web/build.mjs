// Copies the browser's third-party files from node_modules into web/vendor/ (git-ignored).
// Run by `make web-build` (npm ci, then this file); needs nothing but Node 18 or later
// (Debian 12's). Nothing is fetched at run time: the widget, the kiosk and the desk load only
// these files and their own.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const webDir = dirname(fileURLToPath(import.meta.url));
const vendorDir = join(webDir, "vendor");
const nodeModules = join(webDir, "..", "node_modules");

// NL Design System components used by the widget, the kiosk and the pages. Only the
// class-based CSS (dist/index.min.css), never the "html" variants that style bare
// elements: the widget lives on other people's pages and must not restyle them.
const COMPONENTS = [
  "document",
  "heading-1",
  "heading-2",
  "paragraph",
  "link",
  "unordered-list",
  "code-block",
  "button",
  "button-group",
  "form-label",
  "textbox",
  "form-field-description",
  "form-field-error-message",
];
const THEME = "@nl-design-system-unstable/voorbeeld-design-tokens";

// Straight from node_modules: some packages' "exports" hide their package.json.
function packageDir(name) {
  return join(nodeModules, ...name.split("/"));
}

function version(name) {
  return JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")).version;
}

function copy(name, file, target, licenseFile) {
  copyFileSync(join(packageDir(name), file), join(vendorDir, target));
  if (licenseFile) {
    copyFileSync(join(packageDir(name), licenseFile), join(vendorDir, "licenses", `${target}.txt`));
  }
  return { package: name, version: version(name), file: target };
}

// vega-interpreter evaluates Vega's expressions without eval or new Function, so the charts
// run under the desk's strict Content-Security-Policy. npm has it as an ES module importing
// vega-util only; this makes it a plain script that takes vega-util from the `vega` global
// (the full Vega build includes it) and sets `vega.expressionInterpreter`.
function interpreterScript() {
  const name = "vega-interpreter";
  const target = "vega-interpreter.js";
  const source = readFileSync(join(packageDir(name), "build", "vega-interpreter.js"), "utf8");
  const importLine = /^import \{([\w\s,]+)\} from 'vega-util';$/m;
  const exportLine = /^export \{ (\w+) as expressionInterpreter \};$/m;
  const imports = source.match(importLine);
  const exported = source.match(exportLine);
  const body = source
    .replace(importLine, "")
    .replace(exportLine, "")
    .replace(/^\/\/# sourceMappingURL=.*$/m, "");
  if (!imports || !exported || /^(import|export) /m.test(body)) {
    throw new Error(`${name}: its build changed; update interpreterScript() in web/build.mjs`);
  }
  const script = [
    `/* ${name}@${version(name)} (BSD-3-Clause), made a plain script by web/build.mjs */`,
    "(function (vega) {",
    '  "use strict";',
    `  const {${imports[1]}} = vega;`,
    body.trim(),
    `  vega.expressionInterpreter = vega.expressionInterpreter || ${exported[1]};`,
    "})(globalThis.vega);",
    "",
  ].join("\n");
  writeFileSync(join(vendorDir, target), script);
  copyFileSync(join(packageDir(name), "LICENSE"), join(vendorDir, "licenses", `${target}.txt`));
  return { package: name, version: version(name), file: target };
}

rmSync(vendorDir, { recursive: true, force: true });
mkdirSync(join(vendorDir, "licenses"), { recursive: true });
const manifest = [];

const css = COMPONENTS.map((component) => {
  const name = `@utrecht/${component}-css`;
  manifest.push({ package: name, version: version(name), file: "nl-design-system.css" });
  const text = readFileSync(join(packageDir(name), "dist", "index.min.css"), "utf8");
  return `/* ${name}@${version(name)} (EUPL-1.2) */\n${text.trim()}\n`;
});
writeFileSync(join(vendorDir, "nl-design-system.css"), css.join(""));
copyFileSync(
  join(packageDir("@utrecht/button-css"), "LICENSE.md"),
  join(vendorDir, "licenses", "nl-design-system.css.txt"),
);

// The NL Design System example theme ("Voorbeeld"): the default look. A municipality or
// library replaces it with its own token CSS (docs/widget-and-kiosk.md).
manifest.push(copy(THEME, "dist/theme.css", "voorbeeld-theme.css", "LICENSE.md"));
// Socket.IO client 4.x: speaks protocol 5 (Engine.IO 4), as python-socketio 5 in Rasa 3.6.
manifest.push(copy("socket.io-client", "dist/socket.io.min.js", "socket.io.min.js", "LICENSE"));
// QR codes for "Neem mee" in the kiosk; MIT, the licence is in the file's header.
manifest.push(copy("qrcode-generator", "dist/qrcode.js", "qrcode.js"));
// Accessibility scans in tests/browser only; no page loads it.
manifest.push(copy("axe-core", "axe.min.js", "axe.min.js", "LICENSE"));
// Charts of the desk's insights pages (docs/insights.md): Vega, Vega-Lite and vega-embed,
// their browser builds (UMD: the globals vega, vegaLite and vegaEmbed). BSD-3-Clause.
manifest.push(copy("vega", "build/vega.min.js", "vega.min.js", "LICENSE"));
manifest.push(copy("vega-lite", "build/vega-lite.min.js", "vega-lite.min.js", "LICENSE"));
manifest.push(copy("vega-embed", "build/vega-embed.min.js", "vega-embed.min.js", "LICENSE"));
manifest.push(interpreterScript());

writeFileSync(join(vendorDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`web/vendor: ${manifest.length} files from npm`);
