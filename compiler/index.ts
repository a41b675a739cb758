export { checkPlaybook, compileNamedPlaybook, compilePlaybook, type CompileOptions, type CompileResult } from './compile';
export { inventorySchema, loadInventory, parseInventory, type Inventory } from './inventory';
export { playbookSchema, type Playbook } from './playbook';
export { findPlaybook, listPlaybooks, BUILTIN_PLAYBOOKS_DIR } from './library';
export { SEVERITY_ALIASES } from './severity';
export { formatProblems, YamlSource, type SourceProblem } from '../common/data-file';
