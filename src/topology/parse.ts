/**
 * Topology files: YAML or JSON text -> a checked TopologyFile (validate.ts). JSON is read by
 * JSON.parse; the yaml package is loaded only when a YAML file is read (docs/dependencies.md).
 */
import { readFile } from 'node:fs/promises';
import { loadYaml } from '../deps/yaml.js';
import { topologyFileError } from './errors.js';
import type { TopologyFile } from './types.js';
import { type ValidateOptions, validateTopology } from './validate.js';

export interface ParseOptions extends ValidateOptions {
  /** Default: JSON when the text starts with '{' (after blanks), else YAML. */
  format?: 'yaml' | 'json';
}

/** Largest topology text read (a lab of thousands of namespaces is far below it). */
const MAX_TEXT = 16 << 20;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw topologyFileError('', undefined, `not valid JSON: ${(err as Error).message}`);
  }
}

function parseYaml(text: string): unknown {
  const yaml = loadYaml();
  // YAML 1.2 core schema: `on`/`yes` stay strings; duplicate keys and unbounded alias expansion are errors.
  const doc = yaml.parseDocument(text, { schema: 'core', uniqueKeys: true, merge: false, prettyErrors: true });
  const err = doc.errors[0];
  if (err) throw topologyFileError('', undefined, `not valid YAML: ${err.message.split('\n')[0]!.replace(/:$/, '')}`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw topologyFileError('', undefined, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Topology text (YAML or JSON) -> a checked TopologyFile; an InvalidArgumentError names the entry that is wrong. */
export function parseTopology(text: string, options: ParseOptions = {}): TopologyFile {
  if (typeof text !== 'string') throw topologyFileError('', text, 'a topology is text (YAML or JSON)');
  if (text.length > MAX_TEXT) throw topologyFileError('', `${text.length} characters`, `is longer than ${MAX_TEXT} characters`);
  const format = options.format ?? (/^\s*\{/.test(text) ? 'json' : 'yaml');
  const value = format === 'json' ? parseJson(text) : parseYaml(text);
  return validateTopology(value, options);
}

/** Reads and checks a topology file: JSON when it is named *.json or starts with '{', else YAML. */
export async function readTopologyFile(path: string, options: ParseOptions = {}): Promise<TopologyFile> {
  const text = await readFile(path, 'utf8');
  const format = options.format ?? (path.endsWith('.json') ? 'json' : undefined);
  return parseTopology(text, format ? { ...options, format } : options);
}
