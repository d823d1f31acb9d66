package org.modelmon.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.modelmon.testing.WindowRecords;
import org.modelmon.window.ModelKey;

/**
 * The detector against an independent Python implementation of its specification ({@code
 * generate_detector_fixtures.py}), window by window: which windows are skipped, the state, the
 * statistic S, the standardised excess z and every alarm record, over scenarios that cover the
 * warm-up, skipped windows (too few labelled, ΣV = 0) during and after it, the cap at h, the return
 * to WATCHING, per-bin baselines (excess per unit of null variance) falling back to the pooled one,
 * also for a bin of certain events (ΣV = 0), a change of input mix within the confidence bins that
 * must not raise an alarm, dispersion above and at 1, and other settings.
 *
 * <p>Each step continues from the status read back from its binary form, as a restarted task
 * continues from its store: so a restart in every state, at every window, gives the same run.
 */
class DriftDetectorTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double RELATIVE = 1e-9;

  static Stream<Arguments> scenarios() {
    final List<Arguments> scenarios = new ArrayList<>();
    fixtures()
        .get("scenarios")
        .forEach(s -> scenarios.add(Arguments.of(s.get("name").asText(), s)));
    return scenarios.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void shouldFollowTheReferenceImplementationWindowByWindow(
      final String name, final JsonNode scenario) throws IOException {
    final JsonNode settingsNode = scenario.get("settings");
    final DetectorSettings settings =
        new DetectorSettings(
            scenario.get("window").asText(),
            settingsNode.get("minLabelled").asLong(),
            settingsNode.get("warmup").asInt(),
            settingsNode.get("minBin").asLong(),
            settingsNode.get("k").asDouble(),
            settingsNode.get("h").asDouble());
    final DriftDetector detector = new DriftDetector(settings);
    final ModelKey key =
        new ModelKey(scenario.get("model").asText(), scenario.get("version").asText());
    final JsonNode windows = scenario.get("windows");
    final JsonNode expected = scenario.get("expected");
    assertThat(windows.size()).isEqualTo(expected.size()).isPositive();

    DetectorStatus status = DetectorStatus.INITIAL;
    int changes = 0;
    for (int w = 0; w < windows.size(); w++) {
      final String where = name + " window " + w;
      final WindowEvidence evidence = evidence(windows.get(w));
      final JsonNode want = expected.get(w);

      final DriftDetector.Step step = detector.next(status, evidence);

      assertThat(!detector.isEvidence(evidence))
          .as(where + " skipped")
          .isEqualTo(want.get("skipped").asBoolean());
      assertThat(step.next().state().name())
          .as(where + " state")
          .isEqualTo(want.get("state").asText());
      assertClose(where + " statistic", step.next().statistic(), want.get("statistic").asDouble());
      if (want.get("z").isNull()) {
        assertThat(step.z()).as(where + " z").isNaN();
      } else {
        assertClose(where + " z", step.z(), want.get("z").asDouble());
      }
      assertThat(step.changed()).as(where + " changed").isEqualTo(!want.get("record").isNull());
      if (step.changed()) {
        changes++;
        final AlarmRecord alarm = AlarmRecord.of(key, settings, evidence, step.next());
        final JsonNode record = JSON.readTree(JSON.writeValueAsBytes(alarm));
        WindowRecords.assertMatches(where, record, want.get("record"));
        assertThat(fieldOrder(record))
            .as(where + " field order")
            .isEqualTo(fieldOrder(want.get("record")));
      }
      assertThat(step.next().lastEndMillis()).isEqualTo(evidence.endMillis());
      // As a restarted task would: continue from the status as the store holds it.
      final byte[] stored = step.next().toBytes();
      status = DetectorStatus.fromBytes(stored);
      assertThat(status.toBytes()).as(where + " round trip").isEqualTo(stored);
    }
    assertThat(changes).as(name + ": at least the end of the warm-up").isPositive();
  }

  @Test
  void shouldLeaveEverythingButTheLastWindowAsItWasOnASkippedWindow() {
    final DriftDetector detector = new DriftDetector(new DetectorSettings("1m", 20, 2, 1, 0.5, 9));
    final WindowEvidence tooFew =
        new WindowEvidence(
            0, 60_000, 19, 5.0, 10.0, new long[] {19}, new double[] {5.0}, new double[] {10.0});
    final WindowEvidence certain =
        new WindowEvidence(
            60_000, 120_000, 50, 0.0, 0.0, new long[] {50}, new double[] {0.0}, new double[] {0.0});

    final DetectorStatus afterTooFew = detector.next(DetectorStatus.INITIAL, tooFew).next();
    final DetectorStatus afterCertain = detector.next(afterTooFew, certain).next();

    assertThat(afterTooFew.warmup()).isEmpty();
    assertThat(afterCertain.warmup()).isEmpty();
    assertThat(afterCertain.state()).isEqualTo(DetectorState.WARMUP);
    assertThat(afterCertain.lastStartMillis()).isEqualTo(60_000);
  }

  @Test
  void shouldStartTheWarmUpAgainWhenTheSettingsItLearntUnderChange() {
    // Given a detector that finished its warm-up of 2 windows on 1m windows,
    final DriftDetector oneMinute = new DriftDetector(new DetectorSettings("1m", 1, 2, 1, 0.5, 9));
    DetectorStatus status = DetectorStatus.INITIAL;
    for (int w = 0; w < 2; w++) {
      status = oneMinute.next(status, window(w, 100, 1.0, 30.0)).next();
    }
    assertThat(status.state()).isEqualTo(DetectorState.WATCHING);

    // when the detector window becomes 5m, its status (restored from the store) starts over.
    final DriftDetector fiveMinutes =
        new DriftDetector(new DetectorSettings("5m", 1, 2, 1, 0.5, 9));
    final DriftDetector.Step step =
        fiveMinutes.next(DetectorStatus.fromBytes(status.toBytes()), window(2, 100, 1.0, 30.0));

    assertThat(step.next().state()).isEqualTo(DetectorState.WARMUP);
    assertThat(step.next().warmup()).hasSize(1);
    assertThat(step.next().basis()).isEqualTo("5m/2/1");
    // k and h are not part of what the warm-up learnt: a new h keeps the baseline.
    assertThat(
            new DriftDetector(new DetectorSettings("1m", 1, 2, 1, 0.5, 4))
                .next(status, window(2, 100, 1.0, 30.0))
                .next()
                .state())
        .isEqualTo(DetectorState.WATCHING);
  }

  @Test
  void shouldExpectThePooledExcessPerNullVarianceOfTheVarianceNoBinHolds() {
    // Given a warm-up of 2 windows, each with 500 labelled events, excess 5 and null variance 100
    // of which bin 0 holds 100 events, excess 5 and null variance 20 (the rest no bin holds):
    // β = 10 / 200 = 0.05, β_0 = 10 / 40 = 0.25, bin 1 (empty) falls back to β,
    final DriftDetector detector = new DriftDetector(new DetectorSettings("1m", 1, 2, 1, 0, 9));
    DetectorStatus status = DetectorStatus.INITIAL;
    for (int w = 0; w < 2; w++) {
      status =
          detector
              .next(
                  status,
                  new WindowEvidence(
                      60_000L * w,
                      60_000L * (w + 1),
                      500,
                      5.0,
                      100.0,
                      new long[] {100, 0},
                      new double[] {5.0, 0.0},
                      new double[] {20.0, 0.0}))
              .next();
    }
    assertThat(status.baseline().meanExcess()).isEqualTo(0.01);
    assertThat(status.baseline().meanExcessByBin()).containsExactly(0.05, 0.01);
    assertThat(status.baseline().excessPerVariance()).isEqualTo(0.05);
    assertThat(status.baseline().excessPerVarianceByBin()).containsExactly(0.25, 0.05);

    // when a window has null variance 20 in bin 0 and 80 that no bin holds,
    final DriftDetector.Step step =
        detector.next(
            status,
            new WindowEvidence(
                120_000,
                180_000,
                500,
                9.0,
                100.0,
                new long[] {100, 0},
                new double[] {5.0, 0},
                new double[] {20.0, 0}));

    // then it expects 20 × 0.25 + 80 × 0.05 = 9: z = 0, not (9 − 5) / √100.
    assertThat(step.z()).isCloseTo(0.0, within(1e-12));
  }

  @Test
  void shouldRefuseACorruptStatus() {
    final byte[] valid =
        new DriftDetector(new DetectorSettings("1m", 1, 3, 1, 0.5, 9))
            .next(DetectorStatus.INITIAL, window(0, 100, 1.0, 30.0))
            .next()
            .toBytes();
    final byte[] unknownFormat = valid.clone();
    unknownFormat[0] = 9;
    final byte[] truncated = java.util.Arrays.copyOf(valid, valid.length - 20);

    for (final byte[] bytes : List.of(unknownFormat, truncated, new byte[0])) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> DetectorStatus.fromBytes(bytes))
          .isInstanceOfAny(IllegalArgumentException.class, java.nio.BufferUnderflowException.class);
    }
  }

  /** Window w of 1 minute with {@code labelled} events, all in one of 10 bins. */
  private static WindowEvidence window(
      final int w, final long labelled, final double excess, final double nullVariance) {
    final long[] binLabelled = new long[10];
    final double[] binExcess = new double[10];
    final double[] binNullVariance = new double[10];
    binLabelled[7] = labelled;
    binExcess[7] = excess;
    binNullVariance[7] = nullVariance;
    return new WindowEvidence(
        60_000L * w,
        60_000L * (w + 1),
        labelled,
        excess,
        nullVariance,
        binLabelled,
        binExcess,
        binNullVariance);
  }

  private static void assertClose(final String where, final double actual, final double expected) {
    assertThat(actual)
        .as(where)
        .isCloseTo(expected, within(Math.max(1e-12, RELATIVE * Math.abs(expected))));
  }

  private static List<String> fieldOrder(final JsonNode node) {
    final List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static WindowEvidence evidence(final JsonNode window) {
    final JsonNode binLabelled = window.get("binLabelled");
    final JsonNode binExcess = window.get("binExcessLogLossSum");
    final JsonNode binNullVariance = window.get("binNullVarianceSum");
    assertThat(binExcess.size()).isEqualTo(binLabelled.size());
    assertThat(binNullVariance.size()).isEqualTo(binLabelled.size());
    final long[] labelled = new long[binLabelled.size()];
    final double[] excess = new double[binExcess.size()];
    final double[] nullVariance = new double[binNullVariance.size()];
    for (int b = 0; b < labelled.length; b++) {
      labelled[b] = binLabelled.get(b).asLong();
      excess[b] = binExcess.get(b).asDouble();
      nullVariance[b] = binNullVariance.get(b).asDouble();
    }
    return new WindowEvidence(
        window.get("startMillis").asLong(),
        window.get("endMillis").asLong(),
        window.get("labelled").asLong(),
        window.get("excessLogLossSum").asDouble(),
        window.get("nullVarianceSum").asDouble(),
        labelled,
        excess,
        nullVariance);
  }

  private static JsonNode fixtures() {
    try (InputStream in =
        DriftDetectorTest.class.getResourceAsStream("/fixtures/detector-fixtures.json")) {
      return JSON.readTree(in);
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
