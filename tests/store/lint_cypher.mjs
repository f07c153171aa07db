// Lints Cypher statements with Neo4j's own language tooling
// (@neo4j-cypher/language-support). Reads JSON on stdin:
//   {"schema": {labels, relationshipTypes, propertyKeys},
//    "queries": {"NAME": {"query": "...", "parameters": {...}}}}
// and writes {"NAME": [{"severity", "message", "line", "character"}]} on
// stdout. Severity 1 is an error, 2 a warning; the caller fails on any.
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { schema, queries } = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const out = {};
for (const [name, { query, parameters }] of Object.entries(queries)) {
  const dbSchema = { ...schema, parameters, defaultLanguage: 'CYPHER 5' };
  const { diagnostics } = lintCypherQuery(query, dbSchema, { consoleCommandsEnabled: false });
  out[name] = diagnostics.map((d) => ({
    severity: d.severity,
    message: d.message,
    line: d.range.start.line + 1,
    character: d.range.start.character + 1,
  }));
}
process.stdout.write(JSON.stringify(out));
