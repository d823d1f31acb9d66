package org.modelmon.bench;

import java.lang.reflect.Method;

/**
 * One of MOA's change detectors ({@code moa.classifiers.core.driftdetection}) with its default
 * options, fed each window's mean log loss (windows with at least one labelled event).
 *
 * <p>Reached by reflection: MOA is on the classpath only when {@code bin/bench detector} runs (the
 * {@code detector-bench} Maven profile resolves it), so the benchmark sources, compiled with the
 * tests, do not depend on it and no ordinary build resolves it.
 */
final class MoaChangeDetector implements WindowMonitor {

  private static final String PACKAGE = "moa.classifiers.core.driftdetection.";

  private final String name;
  private final Object detector;
  private final Method input;
  private final Method getChange;

  private MoaChangeDetector(final String simpleName) throws ReflectiveOperationException {
    this.name = simpleName;
    final Class<?> type = Class.forName(PACKAGE + simpleName);
    detector = type.getConstructor().newInstance();
    type.getMethod("prepareForUse").invoke(detector);
    input = type.getMethod("input", double.class);
    getChange = type.getMethod("getChange");
  }

  /** Whether MOA is on the classpath. */
  static boolean available() {
    try {
      Class.forName(PACKAGE + "PageHinkleyDM");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** A new detector of class {@code moa.classifiers.core.driftdetection.<simpleName>}. */
  static MoaChangeDetector create(final String simpleName) {
    try {
      return new MoaChangeDetector(simpleName);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot create MOA's " + simpleName, e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean step(final int index, final long startMillis, final DriftTraffic.WindowSums sums) {
    if (sums.labelled == 0) {
      return false;
    }
    try {
      input.invoke(detector, sums.logLoss / sums.labelled);
      return (Boolean) getChange.invoke(detector);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
