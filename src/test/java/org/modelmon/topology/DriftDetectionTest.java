package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.detector.AlarmStatus;
import org.modelmon.detector.DetectorSettings;
import org.modelmon.http.DriverStateQueries;
import org.modelmon.metrics.WindowMetricsCollector;
import org.modelmon.reference.ReferenceParser;

/**
 * The drift detector in the topology: it reads each final window of its window size, in window
 * order, with the sums the window record does not carry (ΣV(q), the per-bin excess), publishes each
 * change of state on the alarms topic and exports its gauges.
 *
 * <p>Every event predicts q = (0.8, 0.2), so H(q) = 0.5004024235381879 and V(q) = 0.8·(ln 0.8)² +
 * 0.2·(ln 0.2)² − H(q)² = 0.3074899289076488 per event, and each window has 10 events (all in the
 * confidence bin up to 0.9). Windows whose labels are 8 × class 0 and 2 × class 1 have Σℓ =
 * 10·H(q): excess 0. With 5 and 5 the excess is 5·(−ln 0.8) + 5·(−ln 0.2) − 10·H(q) =
 * 4.158883083359671, z = 4.158883083359671 / √(10·V) = 2.371708245126284. With 9 and 1 it is
 * −1.1938... (z = −0.68...). Warm-up W = 3, k = 0.5, h = 4.
 */
class DriftDetectionTest {

  private static final Instant T0 = EVENT_TIME_ORIGIN; // aligned to 1m and 5m
  private static final DetectorSettings SETTINGS = new DetectorSettings("1m", 5, 3, 1000, 0.5, 4);
  private static final double Z_DRIFT = 2.371708245126284;

  private TopologyFixture fixture;

  @AfterEach
  void closeDriver() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void shouldWarmUpRaiseTheAlarmOnDriftAndClearItWhenTheModelRecovers() {
    fixture =
        new TopologyFixture(
            TestConfigs.withDetector(
                TestConfigs.config("1m,5m", Duration.ofSeconds(10), Duration.ofMinutes(10)),
                SETTINGS));
    final DriverStateQueries state =
        new DriverStateQueries(
            fixture.driver,
            new ReferenceParser(fixture.config.probabilityTolerance(), 1000),
            SETTINGS);
    WindowMetricsCollector.register(fixture.registry, state, 50, SETTINGS.h());

    // Given three calibrated windows (the warm-up), then three where half the labels are class 1,
    final int[] secondClassLabels = {2, 2, 2, 5, 5, 5, 1, 1, 1, 1};
    final List<JsonNode> alarms = new ArrayList<>();
    final List<Double> statistics = new ArrayList<>();
    for (int w = 0; w < secondClassLabels.length; w++) {
      sendWindow(w, secondClassLabels[w]);
      // window w−1 is final once window w's events take the watermark past its end + 10 s.
      fixture.advanceWallClock(Duration.ofSeconds(1));
      for (final TestRecord<String, String> record : fixture.alarms.readRecordsToList()) {
        assertThat(record.key()).isEqualTo("m@v1");
        alarms.add(TopologyFixture.parse(record.value()));
      }
      state.detectorStatuses().values().forEach(s -> statistics.add(s.statistic()));
      if (w == 6) {
        // Right after the alarm (window 5 final): the gauges show it.
        assertThat(gauge("modelmon_drift_alarm")).isEqualTo(1.0);
        assertThat(gauge("modelmon_drift_statistic")).isEqualTo(4.0);
        assertThat(gauge("modelmon_drift_threshold")).isEqualTo(4.0);
        assertThat(gauge("modelmon_drift_baseline_excess_log_loss_nats"))
            .isCloseTo(0.0, within(1e-12));
      }
    }
    fixture.send(event(T0.plusSeconds(60L * secondClassLabels.length + 15), 0));
    fixture.advanceWallClock(Duration.ofSeconds(1));
    fixture.alarms.readRecordsToList().forEach(r -> alarms.add(TopologyFixture.parse(r.value())));

    // then the warm-up ends on window 2, the alarm comes on window 5 — S = 2·(z − 0.5) =
    // 3.74 after window 4, capped at h after 5 — with the change dated from window 3, and it
    // clears when S is back at 0, on window 9.
    assertThat(alarms)
        .extracting(a -> a.get("state").asText())
        .containsExactly("WATCHING", "ALARM", "WATCHING");
    assertThat(alarms)
        .extracting(a -> a.get("startMillis").asLong())
        .containsExactly(start(2), start(5), start(9));
    final JsonNode warmedUp = alarms.get(0);
    assertThat(warmedUp.get("window").asText()).isEqualTo("1m");
    assertThat(warmedUp.get("labelled").asLong()).isEqualTo(10);
    assertThat(warmedUp.get("statistic").asDouble()).isZero();
    assertThat(warmedUp.get("threshold").asDouble()).isEqualTo(4.0);
    assertThat(warmedUp.get("baselineExcessLogLoss").asDouble()).isCloseTo(0.0, within(1e-12));
    assertThat(warmedUp.get("baselineExcessLogLossByBin")).hasSize(10);
    assertThat(warmedUp.get("dispersion").asDouble()).isEqualTo(1.0);
    assertThat(warmedUp.get("baselineExcessPerNullVariance").asDouble())
        .isCloseTo(0.0, within(1e-12));
    assertThat(warmedUp.get("baselineExcessPerNullVarianceByBin")).hasSize(10);
    assertThat(warmedUp.has("changeStartMillis")).isFalse();
    final JsonNode alarm = alarms.get(1);
    assertThat(alarm.get("statistic").asDouble()).isEqualTo(4.0);
    assertThat(alarm.get("changeStartMillis").asLong()).isEqualTo(start(3));
    assertThat(alarm.get("excessLogLossMean").asDouble())
        .isCloseTo(0.4158883083359671, within(1e-12));
    assertThat(alarms.get(2).has("changeStartMillis")).isFalse();
    // The statistic after each final 1m window (the 5m windows do not feed the detector):
    // 0 in warm-up, then z − k per drift window.
    assertThat(statistics.get(3)).isCloseTo(Z_DRIFT - 0.5, within(1e-9));
    assertThat(statistics.get(4)).isCloseTo(2 * (Z_DRIFT - 0.5), within(1e-9));
    assertThat(statistics.get(5)).isEqualTo(4.0);

    final List<AlarmStatus> api = state.alarmsOrThrow();
    assertThat(api)
        .singleElement()
        .satisfies(
            status -> {
              assertThat(status.state()).isEqualTo("WATCHING");
              assertThat(status.statistic()).isZero();
              assertThat(status.lastWindowStartMillis()).isEqualTo(start(9));
            });
  }

  /** Sends window w's 10 events, {@code secondClass} of them labelled class 1. */
  private void sendWindow(final int w, final int secondClass) {
    for (int i = 0; i < 10; i++) {
      fixture.send(event(T0.plusSeconds(60L * w + 1 + i), i < secondClass ? 1 : 0));
    }
  }

  private static String event(final Instant at, final int label) {
    return "{\"model\": \"m\", \"version\": \"v1\", \"timestamp\": \""
        + at
        + "\","
        + " \"probabilities\": [0.8, 0.2], \"label\": "
        + label
        + "}";
  }

  private static long start(final int window) {
    return T0.toEpochMilli() + 60_000L * window;
  }

  /** The value of gauge {@code name} for m@v1 in the fixture's registry. */
  private double gauge(final String name) {
    for (final MetricSnapshot snapshot : fixture.registry.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(name)) {
        for (final DataPointSnapshot point : snapshot.getDataPoints()) {
          if ("m".equals(point.getLabels().get("model"))) {
            return ((GaugeSnapshot.GaugeDataPointSnapshot) point).getValue();
          }
        }
      }
    }
    throw new AssertionError("no gauge " + name + " for m@v1");
  }
}
