/**
 * `yaml`, required on first use rather than imported (see README.md here): only reading a YAML
 * topology file loads it, so nothing else pays for it (docs/dependencies.md).
 */
import { createRequire } from 'node:module';
import type * as yamlType from 'yaml';

let loaded: typeof yamlType | undefined;

/** The yaml package, loaded the first time it is asked for. */
export function loadYaml(): typeof yamlType {
  return (loaded ??= createRequire(import.meta.url)('yaml') as typeof yamlType);
}
