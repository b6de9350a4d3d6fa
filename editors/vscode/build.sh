#!/bin/sh
# Build the VS Code extension (editors/vscode/leadscore-score.vsix) reproducibly:
# the dependencies exactly as package-lock.json pins them, then @vscode/vsce.
# Needs node and npm. Run from anywhere.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run package
echo "built $(pwd)/leadscore-score.vsix"
