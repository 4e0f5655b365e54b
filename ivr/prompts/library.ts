import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The IVR's prompts as WAV files for the SIP media path: 8 kHz, mono, 16-bit PCM (what rtpengine
 * plays into a call without resampling surprises). Each is synthesised in Spanish by espeak-ng and
 * converted by sox, once: a manifest keeps the hash of the text each file was made from, so only
 * new or changed texts are synthesised again. A recording `<id>.wav` in the override directory
 * replaces the synthesised prompt of that id.
 */
export interface PromptText { id: string; text: string }

export interface PromptDirs {
  /** Where synthesised prompts are written (`<dataDir>/prompts` by default). */
  dir: string;
  /** Recorded prompts that replace synthesised ones by id. */
  overrideDir: string;
}

export interface EnsureReport { generated: string[]; upToDate: string[]; recorded: string[] }

export interface PromptLibrary {
  /** The file to play for a prompt: its recording, or its synthesised file (made now if missing). */
  file(prompt: PromptText): Promise<string>;
  /** Synthesises every prompt whose file is missing or was made from another text. */
  ensure(prompts: PromptText[]): Promise<EnsureReport>;
}

/** Changing the synthesis (voice, rate, format) must regenerate every file: it is part of the hash. */
const VOICE = ['-v', 'es', '-s', '150'];
const FORMAT = ['-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer'];
const RECIPE = `espeak-ng ${VOICE.join(' ')} | sox ${FORMAT.join(' ')}`;
const MANIFEST = 'manifest.json';
const SAFE_ID = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

export const textHash = (text: string) => createHash('sha256').update(`${RECIPE}\n${text}`).digest('hex').slice(0, 32);

export function promptLibrary(dirs: PromptDirs): PromptLibrary {
  let manifest: Promise<Record<string, string>> | null = null;
  let saving: Promise<void> = Promise.resolve();
  const inFlight = new Map<string, Promise<string>>();

  const load = () => (manifest ??= readFile(path.join(dirs.dir, MANIFEST), 'utf8')
    .then((raw) => JSON.parse(raw) as Record<string, string>).catch((): Record<string, string> => ({})));
  const save = (entries: Record<string, string>) => {
    // one write at a time, each of the whole manifest, through a temporary file: never a torn manifest
    saving = saving.then(async () => {
      const tmp = path.join(dirs.dir, `${MANIFEST}.${process.pid}.tmp`);
      await writeFile(tmp, JSON.stringify(entries, null, 1));
      await rename(tmp, path.join(dirs.dir, MANIFEST));
    });
    return saving;
  };

  const recorded = (id: string) => {
    const file = path.join(dirs.overrideDir, `${id}.wav`);
    return existsSync(file) ? file : null;
  };

  async function synthesised(p: PromptText): Promise<{ file: string; made: boolean }> {
    const file = path.join(dirs.dir, `${p.id}.wav`);
    const hash = textHash(p.text);
    const entries = await load();
    if (entries[p.id] === hash && existsSync(file)) return { file, made: false };
    const running = inFlight.get(p.id);
    if (running) return { file: await running, made: false };
    const work = (async () => {
      await mkdir(dirs.dir, { recursive: true });
      await synthesise(p.text, file);
      entries[p.id] = hash;
      await save(entries);
      return file;
    })().finally(() => inFlight.delete(p.id));
    inFlight.set(p.id, work);
    return { file: await work, made: true };
  }

  return {
    async file(p) {
      checkId(p.id);
      return recorded(p.id) ?? (await synthesised(p)).file;
    },
    async ensure(prompts) {
      const report: EnsureReport = { generated: [], upToDate: [], recorded: [] };
      const seen = new Set<string>();
      for (const p of prompts) {
        checkId(p.id);
        if (seen.has(p.id)) continue;
        seen.add(p.id);
        if (recorded(p.id)) { report.recorded.push(p.id); continue; }
        const { made } = await synthesised(p);
        (made ? report.generated : report.upToDate).push(p.id);
      }
      return report;
    },
  };
}

function checkId(id: string): void {
  // the id becomes a file name: nothing that could leave the directory
  if (!SAFE_ID.test(id) || id.includes('..')) throw new Error(`prompt id "${id}" cannot name a file`);
}

/** espeak-ng writes a 22 kHz WAV to its stdout; sox resamples it into `file` (written whole, then renamed). */
async function synthesise(text: string, file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp.wav`;
  const espeak = spawn('espeak-ng', [...VOICE, '--stdout', text], { stdio: ['ignore', 'pipe', 'pipe'] });
  const sox = spawn('sox', ['-t', 'wav', '-', ...FORMAT, tmp], { stdio: ['pipe', 'ignore', 'pipe'] });
  espeak.stdout.pipe(sox.stdin);
  const errors: string[] = [];
  const done = (name: string, child: typeof espeak | typeof sox) => new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (b: Buffer) => errors.push(`${name}: ${b.toString().trim()}`));
    child.once('error', (err) => reject(new Error(`${name} could not run (${err.message}); run scripts/setup.sh to install it`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}: ${errors.join(' | ')}`))));
  });
  try {
    await Promise.all([done('espeak-ng', espeak), done('sox', sox)]);
    await rename(tmp, file);
  } catch (err) {
    espeak.kill();
    sox.kill();
    await rm(tmp, { force: true });
    throw err;
  }
}
