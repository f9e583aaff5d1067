/**
 * Starting a whole system takes seconds (more on a loaded 2-core machine) and beforeAll does it; the harness gives
 * up on a start after 60 s (START_TIMEOUT_MS) with the processes' output, so jest's own timeout must be longer than that. Every wait
 * inside a test is bounded far below it.
 */
jest.setTimeout(75_000);
