/**
 * A headless Chromium for tests that check what a browser renders (the queue
 * dashboard, the API's docs page), driven through the DevTools protocol
 * over `--remote-debugging-pipe`: JSON messages on two file descriptors
 * (3: commands in, 4: answers and events out, each message ended by NUL),
 * so no WebSocket client is needed (Node 20 has none built in) and no
 * browser is downloaded: it is the machine's own `chromium`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

type Params = Record<string, unknown>;
interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly params?: Params;
  readonly sessionId?: string;
  readonly result?: Params;
  readonly error?: { readonly message: string };
}

export interface PageOptions {
  /**
   * Answers HTTP authentication challenges (`WWW-Authenticate: Basic`) with
   * these credentials, as a person would in the browser's dialog; without
   * them, or when they are refused, the dialog is cancelled and the page
   * shows the server's 401.
   */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** @defaultValue 1280 × 900 */
  readonly viewport?: { readonly width: number; readonly height: number };
}

export interface BrowserPage {
  /** How many authentication challenges the page has answered. */
  readonly authChallenges: number;
  /** Loads `url` and waits for its load event; throws when the navigation fails. */
  goto(url: string): Promise<void>;
  /** The value of a JavaScript expression in the page (awaited when a promise). */
  evaluate<T>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy, then returns its value; throws after `timeoutMs`, with the page's text. */
  waitFor<T>(expression: string, timeoutMs?: number): Promise<T>;
  /** Saves a PNG of the page as rendered. */
  screenshot(path: string): Promise<void>;
}

export interface HeadlessChromium {
  /** A new page, in a browser context of its own (as a private window: nothing shared with other pages). */
  open(options?: PageOptions): Promise<BrowserPage>;
  /** Its last output, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/**
 * @example
 * const browser = await startHeadlessChromium('/usr/bin/chromium');
 * const page = await browser.open();
 * await page.goto('http://127.0.0.1:3000/docs');
 * await page.waitFor('document.querySelector(".opblock")');
 * await browser.close();
 */
export async function startHeadlessChromium(binary: string): Promise<HeadlessChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'ensembles-chromium-'));
  const child: ChildProcess = spawn(
    binary,
    [
      '--headless',
      '--remote-debugging-pipe',
      // Tests run as root in containers, where Chromium's sandbox cannot start.
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      output += `\n${error.message}`;
      resolve();
    });
  });
  // Never left behind, even when the test process ends without closing it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  exited.then(() => process.off('exit', killOnExit));
  const commands = child.stdio[3] as Writable;
  const messages = child.stdio[4] as Readable;

  let nextId = 1;
  const pending = new Map<number, { resolve: (result: Params) => void; reject: (error: Error) => void; method: string }>();
  const listeners = new Set<(message: Message) => void>();
  let buffered = '';
  messages.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end = buffered.indexOf('\0');
    while (end >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      end = buffered.indexOf('\0');
      if (message.id !== undefined) {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiting?.reject(new Error(`${waiting.method}: ${message.error.message}`));
        else waiting?.resolve(message.result ?? {});
      } else {
        for (const listener of listeners) listener(message);
      }
    }
  });
  exited.then(() => {
    for (const waiting of pending.values()) waiting.reject(new Error(`Chromium exited during ${waiting.method}:\n${output}`));
    pending.clear();
  });
  // A broken pipe surfaces as an exit above; the stream's own error adds nothing.
  commands.on('error', () => undefined);

  const send = (method: string, params: Params = {}, sessionId?: string): Promise<Params> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      commands.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });

  // The browser answers once it is up.
  await Promise.race([
    send('Browser.getVersion'),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`Chromium did not answer within 30 s:\n${output}`)), 30_000)),
  ]).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    rmSync(profile, { recursive: true, force: true });
    throw error;
  });

  async function open(options: PageOptions = {}): Promise<BrowserPage> {
    // Each page in a context of its own: no cookies, cache or remembered credentials from another.
    const { browserContextId } = (await send('Target.createBrowserContext', { disposeOnDetach: true })) as { browserContextId: string };
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank', browserContextId })) as { targetId: string };
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const command = (method: string, params: Params = {}) => send(method, params, sessionId);
    let loaded: (() => void) | undefined;
    let authChallenges = 0;
    const answered = new Set<unknown>();
    listeners.add((message) => {
      if (message.sessionId !== sessionId) return;
      const requestId = message.params?.requestId;
      if (message.method === 'Page.loadEventFired') loaded?.();
      else if (message.method === 'Fetch.requestPaused') void command('Fetch.continueRequest', { requestId }).catch(() => undefined);
      else if (message.method === 'Fetch.authRequired') {
        authChallenges++;
        // Credentials once per request, as a person types them once; asked again (refused), or with none to give: Cancel.
        const answer =
          options.basicAuth && !answered.has(requestId)
            ? { response: 'ProvideCredentials', ...options.basicAuth }
            : { response: 'CancelAuth' };
        answered.add(requestId);
        void command('Fetch.continueWithAuth', { requestId, authChallengeResponse: answer }).catch(() => undefined);
      }
    });
    await command('Page.enable');
    const { width, height } = options.viewport ?? { width: 1280, height: 900 };
    await command('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    await command('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*' }] });

    const page: BrowserPage = {
      get authChallenges() {
        return authChallenges;
      },
      async goto(url) {
        const load = new Promise<void>((resolve) => {
          loaded = resolve;
        });
        const { errorText } = (await command('Page.navigate', { url })) as { errorText?: string };
        if (errorText) throw new Error(`loading ${url} failed: ${errorText}`);
        await load;
      },
      async evaluate<T>(expression: string) {
        const { result, exceptionDetails } = (await command('Runtime.evaluate', {
          expression,
          returnByValue: true,
          awaitPromise: true,
        })) as {
          result: { value?: T };
          exceptionDetails?: { text: string; exception?: { description?: string } };
        };
        if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
        return result.value as T;
      },
      async waitFor<T>(expression: string, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const value = await page.evaluate<T>(expression);
          if (value) return value;
          if (Date.now() > deadline) {
            const text = await page.evaluate<string>('document.body ? document.body.innerText.slice(0, 2000) : ""');
            throw new Error(`waited ${timeoutMs} ms for ${expression}; the page shows:\n${text}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      },
      async screenshot(path) {
        const { data } = (await command('Page.captureScreenshot', { format: 'png' })) as { data: string };
        writeFileSync(path, Buffer.from(data, 'base64'));
      },
    };
    return page;
  }

  return {
    open,
    output: () => output,
    async close() {
      await Promise.race([send('Browser.close').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))]);
      const gone = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 5000))]);
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
