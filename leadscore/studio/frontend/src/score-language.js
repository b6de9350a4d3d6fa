// Syntax highlighting for .score files: a CodeMirror StreamLanguage whose words come
// from the TextMate grammar the editors use (editors/score.tmLanguage.json), so the
// keyword lists are written once.
import { StreamLanguage } from "@codemirror/language";
import grammar from "../../../../editors/score.tmLanguage.json";

// The grammar's "keywords-<kind>" entries, each `\b(?:a|b|c)\b`, give the words of a kind.
const STYLE = { types: "typeName", constants: "atom", functions: "function", aggregates: "function",
                variables: "variableName.special" };

function wordStyles() {
  const styles = new Map();
  for (const [name, entry] of Object.entries(grammar.repository)) {
    const words = /^\\b\(\?:([\w|]+)\)\\b$/.exec(entry.match || "");
    if (!name.startsWith("keywords-") || !words) continue;
    const style = STYLE[name.slice("keywords-".length)] || "keyword";
    for (const word of words[1].split("|")) styles.set(word, style);
  }
  return styles;
}

const WORDS = wordStyles();
const NUMBER = /^[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?(?:h|d|w|mo|y|%)?/;

export const scoreLanguage = StreamLanguage.define({
  name: "score",
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("#")) { stream.skipToEnd(); return "comment"; }
    if (stream.match('"')) {
      while (!stream.eol()) {
        const ch = stream.next();
        if (ch === "\\") stream.next();
        else if (ch === '"') break;
      }
      return "string";
    }
    if (stream.match(/^[+-](?=[0-9])/)) { stream.match(NUMBER); return "number"; }
    if (stream.match(NUMBER)) return "number";
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
    if (word) return WORDS.get(word[0]) || "variableName";
    if (stream.match(/^(=>|==|!=|<=|>=|\.\.|[<>=])/)) return "operator";
    stream.next();
    return "punctuation";
  },
  languageData: { commentTokens: { line: "#" } },
});
