// Parse one Mermaid diagram read from stdin with Mermaid's own parser.
// Prints {"ok": true, "diagramType": ...} and exits 0, or {"ok": false, "error": ...} and exits 1.
// Mermaid needs a DOM (DOMPurify) even to parse, so jsdom provides one.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const { default: mermaid } = await import("mermaid");
try {
  const result = await mermaid.parse(text);
  console.log(JSON.stringify({ ok: true, diagramType: result.diagramType }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error.message ?? error) }));
  process.exitCode = 1;
}
