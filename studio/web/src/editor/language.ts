// Velostream's SQL dialect for Monaco: the engine's keywords (engine/token),
// duration literals (5m, 1h), source URIs (kafka://...), and the
// annotations that live in comments (-- @metric: ..., -- @viz: bar).
import type { languages } from 'monaco-editor/editor/editor.api.js'

export const languageId = 'velosql'

export const keywords = [
  'ALL', 'AND', 'AS', 'BETWEEN', 'CASE', 'CREATE', 'CROSS', 'DISTINCT', 'ELSE', 'EMIT', 'END', 'FALSE', 'FROM', 'FULL',
  'GROUP', 'HAVING', 'IN', 'INNER', 'INSERT', 'INTERVAL', 'IS', 'JOIN', 'LEFT', 'LIKE', 'LIMIT', 'NOT', 'NULL', 'ON',
  'OR', 'ORDER', 'OUTER', 'OVER', 'RIGHT', 'SELECT', 'THEN', 'TRUE', 'UNION', 'WHEN', 'WHERE', 'WINDOW', 'WITH',
  'ASC', 'BUFFER', 'BY', 'CAST', 'CHANGES', 'CURRENT', 'DESC', 'EXISTS', 'EXTRACT', 'FINAL', 'FOLLOWING', 'HOPPING',
  'IF', 'INTO', 'KEY', 'NULLS', 'PARTITION', 'PRECEDING', 'PRIMARY', 'RANGE', 'REPLACE', 'ROW', 'ROWS', 'SESSION',
  'SLIDING', 'STREAM', 'TABLE', 'TUMBLING', 'UNBOUNDED', 'WITHIN',
]

export const typeNames = ['STRING', 'VARCHAR', 'TEXT', 'INTEGER', 'INT', 'BIGINT', 'SMALLINT', 'DECIMAL', 'NUMERIC', 'DOUBLE', 'FLOAT', 'REAL', 'BOOLEAN', 'BOOL', 'TIMESTAMP']

export const conf: languages.LanguageConfiguration = {
  comments: { lineComment: '--', blockComment: ['/*', '*/'] },
  brackets: [['(', ')']],
  autoClosingPairs: [
    { open: '(', close: ')' },
    { open: "'", close: "'", notIn: ['string', 'comment'] },
    { open: '"', close: '"', notIn: ['string', 'comment'] },
  ],
  surroundingPairs: [
    { open: '(', close: ')' },
    { open: "'", close: "'" },
    { open: '"', close: '"' },
  ],
  wordPattern: /(-?\d*\.\d\w*)|([^`~!#%^&*()\-=+[{\]}\\|;:'",.<>/?\s]+)/g,
}

export const tokens: languages.IMonarchLanguage = {
  ignoreCase: true,
  defaultToken: '',
  tokenPostfix: '.velosql',
  keywords,
  typeNames,
  operators: ['=', '==', '<>', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '||', '::'],
  tokenizer: {
    root: [
      [/--\s*@[a-z_]+\s*:?/, { token: 'annotation', next: '@annotation' }],
      [/--.*$/, 'comment'],
      [/\/\*/, 'comment', '@blockComment'],
      [/[a-z][a-z0-9+.-]*:\/\/[^\s,)']*/, 'string.uri'],
      [/\d+(\.\d+)?(ms|s|m|h|d)\b/, 'number.duration'],
      [/\d*\.\d+([eE][-+]?\d+)?/, 'number.float'],
      [/\d+([eE][-+]?\d+)?/, 'number'],
      [/'/, 'string', '@string'],
      [/"/, 'identifier.quote', '@quoted'],
      [
        /[a-z_][\w$]*/,
        {
          cases: {
            '@keywords': 'keyword',
            '@typeNames': 'type',
            '@default': 'identifier',
          },
        },
      ],
      [/[()]/, '@brackets'],
      [/[<>=!%&+\-*/|:]+/, 'operator'],
      [/[;,.]/, 'delimiter'],
      [/\s+/, 'white'],
    ],
    annotation: [[/.*$/, 'annotation.value', '@pop']],
    blockComment: [
      [/[^*/]+/, 'comment'],
      [/\*\//, 'comment', '@pop'],
      [/[*/]/, 'comment'],
    ],
    string: [
      [/[^']+/, 'string'],
      [/''/, 'string.escape'],
      [/'/, 'string', '@pop'],
    ],
    quoted: [
      [/[^"]+/, 'identifier'],
      [/""/, 'identifier'],
      [/"/, 'identifier.quote', '@pop'],
    ],
  },
}
