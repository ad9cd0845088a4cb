'use strict';
// Collects the outcome of one check run: failures, skipped parts and notes.
// Exit code: 1 if anything failed, 77 (ctest SKIP_RETURN_CODE) if a part could not run
// for lack of an input, 0 otherwise.

class Report {
    constructor(title, { quiet = false } = {}) {
        this.title = title;
        this.quiet = quiet;
        this.passed = 0;
        this.failures = [];
        this.skips = [];
    }

    // Records one assertion; returns cond so callers can stop early on a broken premise.
    check(cond, message) {
        if (cond) {
            this.passed += 1;
        } else {
            this.fail(message);
        }
        return Boolean(cond);
    }

    fail(message) {
        this.failures.push(message);
        if (!this.quiet) console.log(`FAIL: ${message}`);
    }

    skip(message) {
        this.skips.push(message);
        if (!this.quiet) console.log(`SKIP: ${message}`);
    }

    note(message) {
        if (!this.quiet) console.log(`note: ${message}`);
    }

    exitCode() {
        if (this.failures.length > 0) return 1;
        if (this.skips.length > 0) return 77;
        return 0;
    }

    summary() {
        const skipped = this.skips.length ? `, ${this.skips.length} part(s) skipped` : '';
        return `${this.title}: ${this.passed} checks passed, ${this.failures.length} failed${skipped}`;
    }
}

module.exports = { Report };
