// The leadscore extension: `.score` and `.tests` files get the leadscore
// language server (`leadscore lsp`, docs/editors.md) through vscode-languageclient.
// The executable and its arguments are settings (leadscore.server.command/args),
// so a project's virtualenv can be named: `.venv/bin/leadscore`.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const settings = vscode.workspace.getConfiguration("leadscore.server");
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const command = settings.get("command", "leadscore").replace("${workspaceFolder}", folder ?? ".");
  const args = settings.get("args", ["lsp"]);
  return { command, args, transport: TransportKind.stdio, options: folder ? { cwd: folder } : {} };
}

function activate(context) {
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "leadscore" },
      { scheme: "file", language: "leadscore-tests" },
    ],
  };
  client = new LanguageClient("leadscore", "leadscore language server", serverOptions(), clientOptions);
  context.subscriptions.push(vscode.commands.registerCommand("leadscore.restartServer", () => client.restart()));
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
