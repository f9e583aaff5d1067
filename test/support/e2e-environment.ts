import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';

/** Must equal E2E_FAILURES_KEY and E2E_CHILDREN_KEY in @tether/testing (this file cannot import it). */
const FAILURES_KEY = '__tetherE2eFailures';
const CHILDREN_KEY = '__tetherE2eChildren';

/**
 * The e2e tests' environment: node, plus two services to the harness (libs/testing) through the test file's
 * global. It counts failed tests and hooks, so `Tether.stop()` prints the processes' output only when something
 * failed; and when the file ends it kills any child process the file left running (a start that outlived a
 * timed-out hook), so a leak can neither hang jest nor hold a port for the next file.
 */
export default class E2eEnvironment extends NodeEnvironment {
  handleTestEvent(event: Circus.Event): void {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') {
      const global = this.shared();
      global[FAILURES_KEY] = (typeof global[FAILURES_KEY] === 'number' ? global[FAILURES_KEY] : 0) + 1;
    }
  }

  override async teardown(): Promise<void> {
    // a plain object (pid -> label) made in the test file's realm
    const children = this.shared()[CHILDREN_KEY];
    if (typeof children === 'object' && children !== null) {
      for (const [pid, label] of Object.entries(children)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
          process.stderr.write(
            `e2e: killed ${String(label)} (pid ${pid}), still running when its test file ended\n`,
          );
        } catch {
          /* already gone */
        }
      }
    }
    await super.teardown();
  }

  private shared(): Record<string, unknown> {
    return this.global;
  }
}
