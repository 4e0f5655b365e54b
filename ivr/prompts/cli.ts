/**
 * Synthesises the IVR's prompt files for the SIP media path (`npx tsx ivr/prompts/cli.ts`, run by
 * scripts/setup.sh). Idempotent: a file already made from the same text is left alone. Reads the
 * same settings as the app: PROMPTS_DIR, PROMPTS_OVERRIDE_DIR, IVR_EMERGENCY_KEY, DATA_DIR.
 */
import { loadConfig } from '../../app/config.ts';
import { allPrompts } from '../catalog.ts';
import { promptLibrary } from './library.ts';

const config = loadConfig();
const library = promptLibrary({ dir: config.media.promptsDir, overrideDir: config.media.promptsOverrideDir });
const report = await library.ensure(allPrompts({ emergencyKey: config.ivr.emergencyKey }));
process.stdout.write(`prompts: ${report.generated.length} synthesised, ${report.upToDate.length} up to date, `
  + `${report.recorded.length} recorded, in ${config.media.promptsDir}\n`);
