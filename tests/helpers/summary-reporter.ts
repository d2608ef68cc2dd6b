import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with the databases the suite ran on, its projects (`unit`, one per database, and
 * `slow-<database>` when the slow suites ran) and one plain line,
 * `Tests: N passed, N failed, N skipped`, that CI logs and people read at a glance.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const projects = new Set<string>();
    for (const module of testModules) {
      projects.add(module.project.name);
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
      if (module.state() === 'failed' && module.children.size === 0) counts.failed += 1;
      // A failing beforeAll or afterAll leaves its tests skipped: the suite itself counts as failed.
      for (const suite of module.children.allSuites()) if (suite.errors().length > 0) counts.failed += 1;
    }
    const databases = new Set(
      [...projects].filter((name) => name !== 'unit').map((name) => name.replace(/^slow-/, '')),
    );
    process.stdout.write(`\nDatabases: ${[...databases].join(', ')}\n`);
    process.stdout.write(`Projects: ${[...projects].join(', ')}\n`);
    process.stdout.write(
      `Tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
