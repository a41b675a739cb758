/**
 * `npm run setup:openclaw`: install the pinned OpenClaw gateway and its Node 24 into
 * `.tools/openclaw/` (what the real-gateway tests need). A no-op when already installed.
 */
import { ensureOpenClaw, OpenClawInstallError } from './install';

try {
  const started = Date.now();
  const install = await ensureOpenClaw({ log: (line) => console.error(`setup:openclaw: ${line}`) });
  const took = ((Date.now() - started) / 1000).toFixed(1);
  console.error(`setup:openclaw: ${install.cached ? 'already installed' : 'installed'} in ${took} s`);
  console.error(`  node:     ${install.node} (from ${install.nodeSource})`);
  console.error(`  openclaw: ${install.openclawEntry}`);
} catch (error) {
  console.error(`setup:openclaw: ${error instanceof OpenClawInstallError ? error.message : String(error)}`);
  process.exitCode = 1;
}
