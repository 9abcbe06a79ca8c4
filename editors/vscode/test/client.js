// A smoke test of the compiled client (out/extension.js) outside VS Code: the `vscode` module
// and the language client are stubbed, so that the test checks what the extension decides
// (which executable, which arguments, which error) without an editor.
//
//   node test/client.js      (after `npm run compile`)
const assert = require("assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const Module = require("module");

const state = { errors: [], clients: [], config: {} };

const vscode = {
  window: {
    createOutputChannel: () => ({ appendLine() {}, append() {}, dispose() {} }),
    showErrorMessage: async (message) => {
      state.errors.push(message);
      return undefined;
    },
  },
  commands: {
    registerCommand: () => ({ dispose() {} }),
    executeCommand: async () => undefined,
  },
  workspace: {
    workspaceFolders: undefined,
    getConfiguration: () => ({ get: (key) => state.config[key] }),
    onDidChangeConfiguration: () => ({ dispose() {} }),
    createFileSystemWatcher: () => ({ dispose() {} }),
  },
};

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    state.clients.push({ id, name, serverOptions, clientOptions });
  }
  async start() {}
  async stop() {}
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "vscode") return vscode;
  if (request === "vscode-languageclient/node") return { LanguageClient };
  return load.call(this, request, parent, isMain);
};

const extension = require("../out/extension.js");
const context = { subscriptions: [] };

async function activateWith(config, env) {
  state.errors = [];
  state.clients = [];
  state.config = config;
  const saved = { PATH: process.env.PATH, HOME: process.env.HOME };
  Object.assign(process.env, env);
  try {
    await extension.activate(context);
    await extension.deactivate();
  } finally {
    Object.assign(process.env, saved);
  }
}

(async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "lawcode-client-empty-"));
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "lawcode-client-bin-"));
  const fake = path.join(bin, "lawcode");
  fs.writeFileSync(fake, "#!/bin/sh\nexit 0\n", { mode: 0o755 });

  // Not on PATH (nor in ~/.cargo/bin): an error that says how to install it, no client.
  await activateWith({}, { PATH: empty, HOME: empty });
  assert.strictEqual(state.clients.length, 0);
  assert.strictEqual(state.errors.length, 1);
  assert.match(state.errors[0], /`lawcode` on PATH/);
  assert.match(state.errors[0], /cargo install --path \. --locked/);

  // A configured path that does not exist is named in the error.
  await activateWith({ path: path.join(empty, "nowhere", "lawcode") }, { PATH: empty, HOME: empty });
  assert.strictEqual(state.clients.length, 0);
  assert.match(state.errors[0], /nowhere/);

  // On PATH: `lawcode lsp` over stdio, with no `--stdio` or other transport argument.
  await activateWith({}, { PATH: bin, HOME: empty });
  assert.deepStrictEqual(state.errors, []);
  assert.strictEqual(state.clients.length, 1);
  const run = state.clients[0].serverOptions.run;
  assert.strictEqual(run.command, fake);
  assert.deepStrictEqual(run.args, ["lsp"]);
  assert.strictEqual(run.transport, undefined);
  assert.deepStrictEqual(state.clients[0].clientOptions.documentSelector[0], { scheme: "file", language: "law" });

  // The configured path and arguments win.
  await activateWith({ path: fake, args: ["lsp", "--verbose"] }, { PATH: empty, HOME: empty });
  assert.deepStrictEqual(state.errors, []);
  assert.strictEqual(state.clients[0].serverOptions.run.command, fake);
  assert.deepStrictEqual(state.clients[0].serverOptions.run.args, ["lsp", "--verbose"]);

  // ~/.cargo/bin is searched even when it is not on PATH (VS Code started from a launcher).
  fs.mkdirSync(path.join(empty, ".cargo", "bin"), { recursive: true });
  fs.copyFileSync(fake, path.join(empty, ".cargo", "bin", "lawcode"));
  fs.chmodSync(path.join(empty, ".cargo", "bin", "lawcode"), 0o755);
  await activateWith({}, { PATH: bin + "-missing", HOME: empty });
  assert.deepStrictEqual(state.errors, []);
  assert.strictEqual(state.clients[0].serverOptions.run.command, path.join(empty, ".cargo", "bin", "lawcode"));

  fs.rmSync(empty, { recursive: true, force: true });
  fs.rmSync(bin, { recursive: true, force: true });
  console.log("✓ test/client.js: the client finds lawcode, starts `lawcode lsp`, and explains a missing binary");
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
