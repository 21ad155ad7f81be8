// A Node app that knows nothing of tsbpf: an HTTP server on loopback whose routes do file
// work (/file/NAME, /open/NAME, /cb/NAME), start a child (/spawn/CMD), burn CPU (/spin/MS) or
// allocate short-lived garbage (/alloc/MB, so that collections happen); prints its port.
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const { execFile } = require("node:child_process");
const dir = process.argv[2] || require("node:os").tmpdir();
function spin(ms) { const t = Date.now(); let x = 0; while (Date.now() - t < ms) x += Math.sqrt(x + 1); return x; }
const srv = http.createServer((q, r) => {
  const [, route, arg] = q.url.split("/");
  if (route === "file") {
    const f = path.join(dir, arg);
    fs.writeFileSync(f, "data:" + arg);
    fs.promises.readFile(f, "utf8").then((d) => r.end(d), (err) => { r.statusCode = err.code === "EPERM" ? 403 : 500; r.end(err.code); });
  } else if (route === "open") {
    fs.promises.readFile(path.join(dir, arg), "utf8").then((d) => r.end(d), (err) => { r.statusCode = err.code === "EPERM" ? 403 : 404; r.end(err.code); });
  } else if (route === "cb") {
    fs.readFile(path.join(dir, arg), "utf8", (err, d) => { r.statusCode = err ? 404 : 200; r.end(err ? err.code : d); });
  } else if (route === "spawn") {
    try {
      execFile(decodeURIComponent(arg), ["tsbpf-arg"], (err, out) => { r.end(err ? "err " + err.message : out); });
    } catch (e) { r.statusCode = 403; r.end(e.code); }
  } else if (route === "spin") {
    r.end(String(spin(Number(arg) || 10)));
  } else if (route === "alloc") {
    let n = 0;
    for (let i = 0; i < (Number(arg) || 1) * 1024; i++) n += new Array(128).fill(i).length;
    r.end(String(n));
  } else {
    r.end("ok");
  }
});
srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));
