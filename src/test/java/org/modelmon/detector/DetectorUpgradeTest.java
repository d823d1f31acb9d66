package org.modelmon.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.modelmon.window.ScoredPrediction;
import org.modelmon.window.WindowAggregate;

/**
 * What the detector makes of state written before its baseline was per unit of null variance: a
 * window whose bins lack ΣV(q) is scored at the pooled rate, and a stored status of the per-event
 * form starts its warm-up again.
 */
class DetectorUpgradeTest {

  private static final double EXACT = 1e-15;

  private static final DetectorSettings SETTINGS = new DetectorSettings("1m", 1, 2, 1, 1.0, 12.0);

  @Test
  void shouldScoreAWindowWhoseBinsLackNullVarianceAtThePooledRate() {
    // A warm-up of two windows: bin 5 has excess 0.3 per unit of V, bin 9 has 0.1.
    final List<WindowEvidence> warmup = new ArrayList<>();
    warmup.add(evidence(0, new double[] {0.3, 0.1}, new double[] {1.0, 2.0}));
    warmup.add(evidence(60_000, new double[] {0.6, 0.1}, new double[] {2.0, 1.0}));
    final Baseline baseline = Baseline.learn(warmup, 1);
    // β = (0.4 + 0.7) / (3 + 3), β_5 = 0.9 / 3, β_9 = 0.2 / 3.
    assertThat(baseline.excessPerVariance()).isEqualTo(1.1 / 6.0, within(EXACT));
    assertThat(baseline.excessPerVarianceByBin()[5]).isEqualTo(0.3, within(EXACT));
    assertThat(baseline.excessPerVarianceByBin()[9]).isEqualTo(0.2 / 3.0, within(EXACT));

    // A window read from the form before ΣV per bin: its bin 5 sum is unknown,
    final WindowAggregate sums = WindowAggregate.fromBytes(legacyAggregate(), 10, 10);
    final WindowEvidence legacy = WindowEvidence.of(120_000, 180_000, sums);

    assertThat(legacy.bins()).isZero();
    // so all of its V = 0.5 counts at β, not at β_5.
    assertThat(baseline.expectedExcess(legacy)).isEqualTo(0.5 * 1.1 / 6.0, within(EXACT));
  }

  @Test
  void shouldStartTheWarmUpAgainFromAStatusOfThePerEventForm() {
    final byte[] basis = SETTINGS.basis().getBytes(StandardCharsets.UTF_8);
    // Format 1: WATCHING at S = 3 with a per-event baseline μ = 0.1, φ = 1.5, μ_b in 2 bins.
    final ByteBuffer form =
        ByteBuffer.allocate(1 + 4 + basis.length + 1 + 8 * 4 + 4 + 1 + 8 * 2 + 4 + 16);
    form.put((byte) 1).putInt(basis.length).put(basis);
    form.put((byte) DetectorState.WATCHING.ordinal()).putDouble(3.0);
    form.putLong(60_000).putLong(120_000).putLong(180_000);
    form.putInt(0);
    form.put((byte) 1).putDouble(0.1).putDouble(1.5).putInt(2).putDouble(0.2).putDouble(0.05);

    final DetectorStatus read = DetectorStatus.fromBytes(form.array());

    assertThat(read.state()).isEqualTo(DetectorState.WARMUP);
    assertThat(read.baseline()).isNull();
    assertThat(read.statistic()).isZero();
    assertThat(read.lastStartMillis()).isEqualTo(120_000);
    assertThat(read.lastEndMillis()).isEqualTo(180_000);
    // The next evidence window is the first of a new warm-up under the current settings.
    final DriftDetector.Step step =
        new DriftDetector(SETTINGS)
            .next(read, evidence(180_000, new double[] {0.3, 0.1}, new double[] {1.0, 2.0}));
    assertThat(step.next().basis()).isEqualTo(SETTINGS.basis());
    assertThat(step.next().warmup()).hasSize(1);
    assertThat(step.changed()).isFalse();
  }

  /** A window of 10 bins with events in bins 5 and 9 only: their excess and null variance. */
  private static WindowEvidence evidence(
      final long start, final double[] excess, final double[] variance) {
    final long[] labelled = new long[10];
    final double[] binExcess = new double[10];
    final double[] binVariance = new double[10];
    labelled[5] = 10;
    labelled[9] = 10;
    binExcess[5] = excess[0];
    binExcess[9] = excess[1];
    binVariance[5] = variance[0];
    binVariance[9] = variance[1];
    return new WindowEvidence(
        start,
        start + 60_000,
        20,
        excess[0] + excess[1],
        variance[0] + variance[1],
        labelled,
        binExcess,
        binVariance);
  }

  /**
   * A window aggregate as format 2 stored it: one event (ℓ 1, H(q) 0.75, V 0.5, confidence 0.5 in
   * bin 5 of 10), written by today's code with its bins cut back to the old two sums each.
   */
  private static byte[] legacyAggregate() {
    final WindowAggregate aggregate = new WindowAggregate(10, 10);
    aggregate.add(
        new ScoredPrediction(
            1_000,
            List.of("a", "b"),
            new double[] {0.5, 0.5},
            0,
            1.0,
            false,
            Double.NaN,
            Double.NaN,
            0.75,
            0.5,
            0.5,
            0.5,
            true));
    final ByteBuffer current = ByteBuffer.wrap(aggregate.toBytes());
    final int header = 1 + 8 * 5 + 16 * 8 + 4;
    final ByteBuffer legacy = ByteBuffer.allocate(current.capacity() - 10 * 16);
    legacy.put(current.array(), 0, header);
    legacy.put(0, (byte) 2);
    for (int b = 0; b < 10; b++) {
      legacy.put(current.array(), header + b * 64, 48);
    }
    legacy.put(current.array(), header + 10 * 64, current.capacity() - header - 10 * 64);
    return legacy.array();
  }
}
