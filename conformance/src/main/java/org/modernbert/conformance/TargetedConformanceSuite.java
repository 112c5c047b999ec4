package org.modernbert.conformance;

import org.junit.jupiter.api.Assumptions;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;

/**
 * The kit on the target {@link ConformanceRunner} hands it (or the system properties name). Not a
 * test of this module: it lives in main code and only runs when launched.
 */
final class TargetedConformanceSuite extends BackendConformanceSuite {
    private final ConformanceTarget target = ConformanceRunner.currentTarget();

    private ConformanceTarget target() {
        if (target == null) {
            Assumptions.abort("no conformance target: run through ConformanceRunner or set -D" + ConformanceRunner.PROPERTY + "backend=NAME");
        }
        return target;
    }

    @Override
    protected String backendName() {
        return target == null ? "(none)" : target.name();
    }

    @Override
    protected BackendProvider provider() {
        return target().resolveProvider();
    }

    @Override
    protected BackendOptions options() {
        return target == null ? BackendOptions.defaults() : target.options();
    }

    @Override
    protected Tolerance tolerance(Comparison comparison, Tolerance declared) {
        return target != null && target.hook() != null ? target.hook().tolerance(comparison, declared)
                : super.tolerance(comparison, declared);
    }

    @Override
    protected boolean usesFixture(String fixture) {
        return target().usesFixture(fixture);
    }

    @Override
    protected boolean runsCheck(String checkId) {
        return target().runsCheck(checkId);
    }

    @Override
    protected void reportFinished(ConformanceReport report) {
        if (ConformanceRunner.running()) {
            ConformanceRunner.finished(report);
        } else {
            super.reportFinished(report);
        }
    }
}
