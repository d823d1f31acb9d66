package org.modelmon.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.modelmon.demo.EventForm;
import org.modelmon.demo.Regime;
import org.modelmon.demo.SyntheticModel;

/**
 * The synthetic models a benchmark's traffic comes from: {@code count} models of {@code classes}
 * classes each, their traffic shares skewed as production traffic is (Zipf: the i-th model gets a
 * share ∝ 1/i), each with its own random label mix. Binary models write the {@code score} form,
 * the others the array form.
 */
final class BenchModels {

  private BenchModels() {}

  /** {@code count} models named {@code model-0000}, … with version {@code v1}, Zipf shares. */
  static List<SyntheticModel> zipf(final int count, final int classes, final long seed) {
    return models(count, classes, seed, true);
  }

  /** As {@link #zipf}, all with the same share. */
  static List<SyntheticModel> uniform(final int count, final int classes, final long seed) {
    return models(count, classes, seed, false);
  }

  private static List<SyntheticModel> models(
      final int count, final int classes, final long seed, final boolean zipf) {
    final SplittableRandom random = new SplittableRandom(seed);
    final List<SyntheticModel> models = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      final Regime regime = Regime.of(labelMix(classes, random), 2.0, 1.0);
      models.add(
          SyntheticModel.stable(
              String.format("model-%04d", i),
              "v1",
              classes == 2 ? EventForm.SCORE : EventForm.ARRAY,
              zipf ? 1.0 / (i + 1) : 1.0,
              regime));
    }
    return models;
  }

  /** A label mix with no class below 0.5/K, so every class shows up in every window. */
  private static double[] labelMix(final int classes, final SplittableRandom random) {
    final double[] mix = new double[classes];
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      mix[c] = 0.5 + random.nextDouble();
      sum += mix[c];
    }
    for (int c = 0; c < classes; c++) {
      mix[c] /= sum;
    }
    return mix;
  }
}
