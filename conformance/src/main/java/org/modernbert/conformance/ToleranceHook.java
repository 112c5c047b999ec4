package org.modernbert.conformance;

/**
 * The one way a backend loosens the kit: given a comparison and the tolerance the check declared,
 * return the tolerance to use. Return {@code declared} to keep it, a looser one to widen it, or
 * {@link Tolerance#INFORMATIONAL} to report the quantity without judging it. Every changed tolerance
 * is marked in the report ({@code 1e-3+1e-4|b| -> 0.05 (widened)}).
 *
 * <p>In a test that extends {@link BackendConformanceSuite} this is the method
 * {@link ConformanceKit#tolerance(Comparison, Tolerance)}; a {@link ConformanceTarget} run by
 * {@link ConformanceRunner} can carry one.
 */
@FunctionalInterface
public interface ToleranceHook {
    Tolerance tolerance(Comparison comparison, Tolerance declared);
}
