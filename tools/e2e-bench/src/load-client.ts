/** The bench's side of the load generator: forks it once and runs phases on it, one at a time. */
import { type ChildProcess, fork } from 'node:child_process';
import type { Phase, PhaseResult, RequestSpec } from './load-generator.js';

export class LoadClient {
  private readonly child: ChildProcess;

  constructor() {
    // Its output goes to stderr: stdout carries the report alone (`--json`).
    this.child = fork(new URL('./load-generator.js', import.meta.url), [], { stdio: ['ignore', 2, 2, 'ipc'] });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(spec: RequestSpec, phase: Phase): Promise<PhaseResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the load generator exited (code ${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (message: { result?: PhaseResult; error?: string }) => {
        this.child.off('exit', onExit);
        if (message.result) resolve(message.result);
        else reject(new Error(`the load generator failed: ${message.error}`));
      });
      this.child.send({ spec, phase });
    });
  }

  close(): void {
    this.child.kill();
  }
}
