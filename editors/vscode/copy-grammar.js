// Before packaging: the one TextMate grammar (editors/score.tmLanguage.json)
// copied into the extension, so that there is a single grammar to keep up to date.
"use strict";

const fs = require("fs");
const path = require("path");

const target = path.join(__dirname, "syntaxes");
fs.mkdirSync(target, { recursive: true });
fs.copyFileSync(path.join(__dirname, "..", "score.tmLanguage.json"), path.join(target, "score.tmLanguage.json"));
