/**
 * Prints what a vectorized pass costs on the engine's thread (compute plus the
 * hand-over) and on the caller's own thread, for the ensembles whose passes are
 * shorter than the hand-over: ten 16-16-4 MLPs and the seed's ten 784-128-128-10
 * MLPs, at batch 1. The figures behind `callerThreadMaxMs`'s default; it asserts
 * nothing. Run `node dist/engines/onnx/measure-hand-over.js [RUNS]` after a build,
 * or `npx tsx src/engines/onnx/measure-hand-over.ts [RUNS]` (RUNS: 1000 unless given).
 *
 * Both paths run interleaved, in one process, in two schedules: back to back,
 * and spaced 2 ms apart as a server doing some 400 passes a second spaces them
 * (there the engine's thread falls asleep between passes and has to be woken).
 * Per path: the median time as the caller waits for a pass, the median compute
 * time (`lastComputeMs`), their difference (the hand-over), the median time the
 * caller's event loop was busy per pass (the caller's thread computes there; the
 * engine's thread costs it the messages), and the process's CPU time per pass,
 * every thread included (a mean: one pass is below the clock's resolution).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomInput, randomMembers, stackFloat32Members } from '../../examples/random-members.js';
import { seedMlpManifest } from '../../examples/seed-mlp.js';
import type { ManifestInput } from '../../manifest/manifest-schema.js';
import { parseManifest } from '../../manifest/parse-manifest.js';
import type { CompiledEnsemble, PassThread } from '../engine.js';
import { median } from './caller-thread-policy.js';
import { OnnxEngine } from './onnx-engine.js';

const runs = Number(process.argv[2] ?? 1000);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`usage: measure-hand-over [RUNS], RUNS a positive integer; got ${process.argv[2]}`);
const WARM_UP = 50;
const SPACING_MS = 2;

const ensembles: Record<string, ManifestInput> = {
  'tiny 10 x 16-16-4': {
    name: 'tiny-mlp',
    members: 10,
    input: { shape: [16] },
    layers: [{ op: 'linear', name: 'fc1', in: 16, out: 16 }, { op: 'relu' }, { op: 'linear', name: 'fc2', in: 16, out: 4 }],
  },
  'seed 10 x 784-128-128-10': seedMlpManifest,
};

interface Samples {
  totalMs: number[];
  computeMs: number[];
  handOverMs: number[];
  loopBusyMs: number[];
  cpuMs: number;
}

const engines: Record<PassThread, OnnxEngine> = {
  engine: new OnnxEngine({ callerThreadMaxMs: 0 }),
  caller: new OnnxEngine({ callerThreadMaxMs: Number.POSITIVE_INFINITY }),
};
const threads = Object.keys(engines) as PassThread[];

console.log(`${runs} passes per path and schedule, batch 1, shared input, ${engines.engine.threads} threads on the engine's thread`);
console.log('ensemble                  schedule       path     median ms  compute ms hand-over ms loop busy ms  CPU ms/pass');
for (const [label, manifest] of Object.entries(ensembles)) {
  const architecture = parseManifest(manifest);
  const ensemble = stackFloat32Members(architecture, randomMembers(architecture, 0));
  const input = randomInput([1, ...architecture.manifest.input.shape], 1);
  const compiled = Object.fromEntries(
    await Promise.all(threads.map(async (thread) => [thread, await engines[thread].compile(ensemble)] as const)),
  ) as Record<PassThread, CompiledEnsemble>;
  for (const spacingMs of [0, SPACING_MS]) {
    const samples = Object.fromEntries(
      threads.map((thread) => [thread, { totalMs: [], computeMs: [], handOverMs: [], loopBusyMs: [], cpuMs: 0 }]),
    ) as unknown as Record<PassThread, Samples>;
    for (let i = 0; i < WARM_UP + runs; i++) {
      for (const thread of i % 2 === 0 ? threads : [...threads].reverse()) {
        if (spacingMs > 0) await sleep(spacingMs);
        const loop = performance.eventLoopUtilization();
        const cpu = process.cpuUsage();
        const started = performance.now();
        await compiled[thread].run(input, { mode: 'shared' });
        const totalMs = performance.now() - started;
        const { user, system } = process.cpuUsage(cpu);
        const loopBusyMs = performance.eventLoopUtilization(loop).active;
        if (compiled[thread].lastPassThread !== thread) throw new Error(`a pass meant for the ${thread}'s thread ran elsewhere`);
        if (i < WARM_UP) continue;
        const computeMs = compiled[thread].lastComputeMs ?? Number.NaN;
        const s = samples[thread];
        s.totalMs.push(totalMs);
        s.computeMs.push(computeMs);
        s.handOverMs.push(totalMs - computeMs);
        s.loopBusyMs.push(loopBusyMs);
        s.cpuMs += (user + system) / 1e3;
      }
    }
    for (const thread of threads) {
      const s = samples[thread];
      const cells = [...[s.totalMs, s.computeMs, s.handOverMs, s.loopBusyMs].map(median), s.cpuMs / runs].map((ms) =>
        ms.toFixed(4).padStart(12),
      );
      console.log(
        `${label.padEnd(26)}${(spacingMs ? `${spacingMs} ms apart` : 'back to back').padEnd(15)}${thread.padEnd(7)}${cells.join('')}`,
      );
    }
  }
  await Promise.all(threads.map((thread) => compiled[thread].dispose()));

  // Where the default policy settles for this ensemble at batch 1, spaced as a server's passes are.
  const byDefault = new OnnxEngine();
  const compiledByDefault = await byDefault.compile(ensemble);
  const picked: PassThread[] = [];
  for (let i = 0; i < 100; i++) {
    await sleep(SPACING_MS);
    await compiledByDefault.run(input, { mode: 'shared' });
    picked.push(compiledByDefault.lastPassThread as PassThread);
  }
  const last = picked.slice(-50);
  console.log(
    `${label.padEnd(26)}default policy (callerThreadMaxMs ${byDefault.callerThreadMaxMs}): last 50 passes ${last.filter((t) => t === 'caller').length} on the caller's thread`,
  );
  await byDefault.dispose();
}
await Promise.all(threads.map((thread) => engines[thread].dispose()));
