// Copies the browser's third-party files from node_modules into web/vendor/ (git-ignored).
// Run by `make web-build` (npm ci, then this file); needs nothing but Node 18 or later
// (Debian 12's). Nothing is fetched at run time: the widget and the kiosk load only these
// files and their own.
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

writeFileSync(join(vendorDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`web/vendor: ${manifest.length} files from npm`);
