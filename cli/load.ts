/** Read an incident or playbook file (YAML or JSON) with errors that give file, line and column. */
import { readDataDocument } from '../common/data-file';

export function loadDataFile(path: string): unknown {
  return readDataDocument(path).doc.toJS();
}
