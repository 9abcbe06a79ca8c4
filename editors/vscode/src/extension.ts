// The lawcode extension: syntax highlighting comes from the TextMate grammar (package.json);
// everything else (diagnostics, hover, go to definition, completion, symbols) from the
// language server, `lawcode lsp`, which this client starts over standard input and output.

import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

const INSTALL_HINT =
  "Install it from a clone of lawcode with `cargo install --path . --locked` " +
  "(it puts `lawcode` in ~/.cargo/bin), or set `lawcode.server.path` to the executable.";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("lawcode");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("lawcode.restartServer", () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("lawcode.server")) {
        void restart();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

interface ServerCommand {
  command: string;
  args: string[];
}

function configuredServer(): ServerCommand {
  const config = vscode.workspace.getConfiguration("lawcode.server");
  const command = (config.get<string>("path") ?? "").trim() || "lawcode";
  const args = config.get<string[]>("args") ?? ["lsp"];
  return { command: expandHome(command), args };
}

async function start(): Promise<void> {
  const server = configuredServer();
  const resolved = findExecutable(server.command);
  if (resolved === undefined) {
    void reportMissing(server.command);
    return;
  }

  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const executable: Executable = {
    command: resolved,
    args: server.args,
    // No `transport`: the server speaks over standard input and output, and the client adds
    // no `--stdio` argument that `lawcode lsp` would not know.
    options: folder !== undefined ? { cwd: folder } : {},
  };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "law" },
      { scheme: "untitled", language: "law" },
    ],
    outputChannel: output,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.law"),
    },
  };

  client = new LanguageClient("lawcode", "lawcode", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output?.appendLine(`lawcode: could not start \`${resolved} ${server.args.join(" ")}\`: ${message}`);
    client = undefined;
    if (/ENOENT|EACCES/.test(message)) {
      void reportMissing(server.command);
    } else {
      void vscode.window.showErrorMessage(
        `lawcode: the language server \`${resolved} ${server.args.join(" ")}\` failed to start: ${message}. ` +
          "Is this lawcode new enough to have `lawcode lsp`? " +
          INSTALL_HINT,
      );
    }
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch {
      // A server that already exited cannot be stopped twice; nothing is left to do.
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

async function reportMissing(command: string): Promise<void> {
  const where = isPath(command) ? `at \`${command}\`` : `\`${command}\` on PATH`;
  const message = `lawcode: the language server was not found (${where}). ${INSTALL_HINT}`;
  output?.appendLine(message);
  const choice = await vscode.window.showErrorMessage(message, "Open Settings");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "lawcode.server.path");
  }
}

function isPath(command: string): boolean {
  return command.includes("/") || command.includes("\\");
}

function expandHome(command: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (home !== undefined && (command === "~" || command.startsWith("~/"))) {
    return path.join(home, command.slice(1));
  }
  return command;
}

// The executable a command names: itself when it is a path, else the first match on PATH
// (with PATHEXT's extensions on Windows); undefined when there is none.
function findExecutable(command: string): string | undefined {
  const extensions =
    process.platform === "win32"
      ? ["", ...(process.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter((e) => e !== "")]
      : [""];
  const candidates = (base: string) => extensions.map((ext) => base + ext);
  if (isPath(command) || path.isAbsolute(command)) {
    const base = path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? ".", command);
    return candidates(base).find(isExecutableFile);
  }
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  // VS Code started from a desktop launcher may not have ~/.cargo/bin on PATH.
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (home !== undefined) {
    dirs.push(path.join(home, ".cargo", "bin"));
  }
  for (const dir of dirs) {
    const found = candidates(path.join(dir, command)).find(isExecutableFile);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== "win32") {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}
