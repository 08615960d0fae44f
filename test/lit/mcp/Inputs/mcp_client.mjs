// A real MCP client against `connectorc mcp`: the official TypeScript SDK's
// Client over its StdioClientTransport (pinned in scripts/setup.sh, installed
// into <repo>/.tools). It prints what it sees, one line a step, for
// FileCheck; a step that goes wrong prints "FAILED: ..." and the script
// exits 1.
//
//   node mcp_client.mjs --connectorc BIN --tools DIR --project DIR SCENARIO
//
// SCENARIO: "tools" (list the tools, lint, explain, protocol errors) or
// "runs" (run a sim workflow to its end and read an answer; run one whose
// agent asks a question, answer it with send; stop another; mail).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (name) => args[args.indexOf(name) + 1];
const connectorc = opt("--connectorc");
const project = opt("--project");
const scenario = args[args.length - 1];
const require = createRequire(path.join(opt("--tools"), "node_modules", "x.js"));
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } = require("@modelcontextprotocol/sdk/client/stdio.js");

function fail(what) {
  console.log("FAILED: " + what);
  process.exit(1); // cleanUp runs on exit
}

// A runtime directory of the scenario's own (short, for the sockets in
// it): the daemon the runs start is this scenario's, stopped at its end.
const runtimeDir = fs.mkdtempSync("/tmp/cc-mcp-");
const env = { ...process.env, XDG_RUNTIME_DIR: runtimeDir };
function cleanUp() {
  spawnSync(connectorc, ["daemon", "--stop"], { env, stdio: "ignore" });
  fs.rmSync(runtimeDir, { recursive: true, force: true });
}
process.on("exit", cleanUp);

const transport = new StdioClientTransport({
  command: connectorc,
  args: ["mcp"],
  cwd: project,
  env,
  stderr: "inherit",
});
const client = new Client({ name: "connectorc-lit", version: "1.0.0" });
await client.connect(transport);

/// tools/call; its structured content, or the text of a tool error.
async function call(name, args) {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) return { error: r.content[0].text };
  return r.structuredContent;
}

/// A protocol error's code and message, or "no error".
async function protocolError(name, args) {
  try {
    await client.callTool({ name, arguments: args });
    return "no error";
  } catch (e) {
    return `${e.code} ${e.message}`;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Polls status of \p run until \p done says so of its answer (60 s).
async function until(run, what, done) {
  for (let i = 0; i < 600; ++i) {
    const s = await call("status", { run });
    if (!s.error && done(s)) return s;
    await sleep(100);
  }
  fail(`${run}: no ${what} within 60 s`);
}

const taskOf = (s, id) => s.tasks.find((t) => t.id === id) || {};

if (scenario === "tools") {
  const v = client.getServerVersion();
  console.log(`server: ${v.name} ${v.version}`);
  const { tools } = await client.listTools();
  console.log("tools: " + tools.map((t) => t.name).join(" "));
  for (const t of tools)
    console.log(
      `${t.name}: input ${t.inputSchema.type} [${(t.inputSchema.required || []).join(",")}]` +
        ` output ${t.outputSchema ? t.outputSchema.type : "none"}` +
        ` readOnly=${t.annotations.readOnlyHint}`,
    );

  const bad = await call("lint", { path: "bad.connector.json" });
  console.log(`lint bad: ok=${bad.ok}`);
  for (const d of bad.diagnostics)
    console.log(`  ${path.basename(d.file)}:${d.line}:${d.column}: ${d.level}: ${d.message} [${d.rule}]`);
  const good = await call("lint", { path: "sim.connector.json" });
  console.log(`lint good: ok=${good.ok} diagnostics=${good.diagnostics.length}`);
  const text = await call("lint", { text: '{"connector": "2.0", "name": 5}', name: "inline.json" });
  console.log(`lint text: ok=${text.ok} first=${path.basename(text.diagnostics[0].file)}:${text.diagnostics[0].line}:${text.diagnostics[0].column}`);
  console.log("lint outside: " + (await call("lint", { path: "/etc/passwd" })).error);
  console.log("lint neither: " + (await call("lint", {})).error);

  const ex = await call("explain", { path: "sim.connector.json", simulate: true, plan: true });
  console.log(`explain: ok=${ex.ok} ${ex.text.split("\n")[0]}`);
  console.log(`explain plan tasks: ${ex.plan.tasks.map((t) => t.id).join(" ")}`);
  const exBad = await call("explain", { path: "bad.connector.json" });
  console.log(`explain bad: ok=${exBad.ok} diagnostics=${exBad.diagnostics.length}`);

  // An unknown tool is a protocol error; arguments that do not fit the
  // schema are a tool error the model reads (the SDK asks for 2025-11-25;
  // under 2025-06-18 they are protocol errors: protocol.test).
  console.log("unknown tool: " + (await protocolError("nope", {})));
  console.log("bad argument: " + (await call("status", { run: 5 })).error);
  console.log("unknown argument: " + (await call("lint", { file: "x" })).error);
  console.log("missing argument: " + (await call("answer", { run: "x" })).error);
  // A tool that fails: a result for the model.
  console.log("unknown run: " + (await call("status", { run: "no-such-run" })).error);
}

if (scenario === "runs") {
  const refused = await call("run", { path: "bad.connector.json" });
  console.log("run bad: " + refused.error.split("\n")[0]);

  // A simulated workflow, to its end.
  const started = await call("run", { path: "sim.connector.json", simulate: true });
  if (started.error) fail("run: " + started.error);
  console.log(`run: ${started.id.replace(/-\d{8}T\d{6}Z.*$/, "-TIME")} in ${path.relative(project, started.run_dir).replace(/\d{8}T\d{6}Z.*$/, "TIME")}`);
  // Listed once its connectorc is up (its control socket) or it has a
  // journal: polled, since the daemon starts it after answering.
  let listed = false;
  for (let i = 0; i < 600 && !listed; ++i) {
    listed = (await call("status", {})).runs.some((r) => r.id === started.id);
    if (!listed) await sleep(100);
  }
  console.log(`listed: ${listed}`);
  const over = await until(started.id, "end", (s) => !s.run.live && s.run.status !== "running");
  console.log(`sim end: ${over.run.status} ${over.tasks.map((t) => `${t.id}=${t.status}`).join(" ")}`);
  const answer = await call("answer", { run: started.id, task: "write/1" });
  console.log(`answer ${answer.task}: ${answer.answer.split("\n")[0]}`);
  console.log("answer unknown task: " + (await call("answer", { run: started.id, task: "zz/1" })).error);

  // An agent that asks: status shows it waiting; send answers it.
  const ask = await call("run", { path: "ask.connector.json" });
  if (ask.error) fail("run ask: " + ask.error);
  const waiting = await until(ask.id, "question", (s) => taskOf(s, "ask/1").state === "waiting for input");
  console.log(`ask: ${taskOf(waiting, "ask/1").state}: ${taskOf(waiting, "ask/1").last_line}`);
  const boxes = await call("mail", { run: ask.id, action: "list" });
  const name = boxes.mailboxes[0].name;
  console.log(`mailboxes: ${boxes.mailboxes.map((b) => `${b.name}(${b.messages.length})`).join(" ")}`);
  const mail = await call("mail", { run: ask.id, action: "send", to: name, subject: "hello", body: "from the host" });
  console.log("mail send: " + JSON.stringify(mail));
  const box = await call("mail", { run: ask.id, action: "list", mailbox: name });
  const m = box.mailboxes[0].messages[0];
  console.log(`mail list: ${box.mailboxes[0].name}: ${m.from} -> ${m.to}: ${m.subject}: ${m.body}`);
  console.log("mail no recipient: " + (await call("mail", { run: ask.id, action: "send", body: "x" })).error);
  const sent = await call("send", { run: ask.id, task: "ask/1", text: "y" });
  console.log(`send: ${sent.task}`);
  const answered = await until(ask.id, "end", (s) => !s.run.live && s.run.status !== "running");
  console.log(`ask end: ${answered.run.status}`);
  const said = await call("answer", { run: ask.id, task: "ask/1" });
  console.log("ask answer: " + said.answer.split("\n").filter((l) => l.startsWith("answer:")).join(" "));

  // Another that asks, stopped instead.
  const stopme = await call("run", { path: "ask.connector.json" });
  await until(stopme.id, "question", (s) => taskOf(s, "ask/1").state === "waiting for input");
  const stopped = await call("stop", { run: stopme.id });
  console.log("stop: " + JSON.stringify({ ...stopped, id: undefined }));
  const end = await until(stopme.id, "end", (s) => !s.run.live && s.run.status !== "running");
  console.log(`stopped end: ${end.run.status} ${end.tasks.map((t) => `${t.id}=${t.status}`).join(" ")}`);
  console.log("stop again: " + (await call("stop", { run: stopme.id })).error);
}

await client.close();
console.log("done");
process.exit(0);
