/**
 * Integration specs create a database and run every migration in their hooks: seconds, and more on a 2-core machine
 * loaded by other suites (a 5 s default hook timeout failed there). Every wait inside a test is bounded far below it.
 */
jest.setTimeout(60_000);
