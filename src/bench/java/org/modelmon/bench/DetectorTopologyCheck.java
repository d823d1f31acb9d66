package org.modelmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.modelmon.TestConfigs;
import org.modelmon.bench.DetectorBench.DetectorMonitor;
import org.modelmon.detector.DetectorSettings;
import org.modelmon.topology.TopologyFixture;

/**
 * The end-to-end leg of {@code bin/bench detector}: one series sent event by event, as JSON,
 * through the real topology in a {@link org.apache.kafka.streams.TopologyTestDriver} (the fixture
 * the topology tests use), and fed as window sums straight to the detector, as the rest of the
 * benchmark does. The alarm records of both must be the same: same windows, same states, same
 * statistic to the bit.
 *
 * <p>The series: a calibrated model at 100 labelled events per minute; a +25 % step of the mean log
 * loss (concept drift) from window {@value #ONSET} to window {@value #RECOVERY}, then the old world
 * again, so that the alarm is raised and cleared.
 */
final class DetectorTopologyCheck {

  static final int ONSET = 120;
  static final int RECOVERY = 180;
  static final int WINDOWS = 300;
  static final int RATE = 100;
  static final long SEED = 4_310_506L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private DetectorTopologyCheck() {}

  /** A change of detector state: the window it came on, the state and S. */
  record Alarm(long startMillis, String state, double statistic) {}

  static boolean run(
      final DriftTraffic traffic, final DetectorSettings settings, final PrintStream out) {
    final long started = System.nanoTime();
    final long origin = TopologyFixture.EVENT_TIME_ORIGIN.toEpochMilli();
    final DetectorMonitor direct = new DetectorMonitor(settings);
    final List<Alarm> topologyAlarms = new ArrayList<>();
    long events = 0;
    try (TopologyFixture fixture =
        new TopologyFixture(
            TestConfigs.withDetector(
                TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(10)),
                settings))) {
      final TestOutputTopic<String, String> alarms =
          fixture.driver.createOutputTopic(
              fixture.config.alarmsTopic(), new StringDeserializer(), new StringDeserializer());
      final SplittableRandom random = new SplittableRandom(SEED);
      final double base = traffic.meanLogLoss(DetectorBench.EASY_SHARE, DriftTraffic.Labels.TRUE);
      final double rotated =
          traffic.meanLogLoss(DetectorBench.EASY_SHARE, DriftTraffic.Labels.ROTATED);
      final double share = 0.25 * base / (rotated - base);
      for (int w = 0; w < WINDOWS; w++) {
        final boolean changed = w >= ONSET && w < RECOVERY;
        final long start = origin + w * DriftTraffic.MINUTE_MILLIS;
        final int n = DriftTraffic.poisson(random, RATE);
        final List<String> window = new ArrayList<>(n);
        final DriftTraffic.WindowSums sums = new DriftTraffic.WindowSums();
        traffic.sample(
            random,
            n,
            DetectorBench.EASY_SHARE,
            changed ? DriftTraffic.Labels.ROTATED : DriftTraffic.Labels.TRUE,
            share,
            sums,
            (type, label) ->
                window.add(
                    event(
                        Instant.ofEpochMilli(start + (window.size() * 59_000L) / n + 500),
                        traffic.prediction[type],
                        label)));
        direct.step(w, start, sums);
        for (final String json : window) {
          fixture.send(json);
        }
        events += n;
        // Window w − 1 is final once window w's events move the watermark past its end + grace;
        // the wall clock keeps its distance to event time, so that no event is from the future.
        fixture.advanceWallClock(Duration.ofMinutes(1));
        alarms.readValuesToList().forEach(json -> topologyAlarms.add(alarm(json)));
      }
      // One more event closes the last window.
      fixture.send(
          event(
              Instant.ofEpochMilli(origin + (WINDOWS + 1) * DriftTraffic.MINUTE_MILLIS),
              traffic.prediction[0],
              0));
      fixture.advanceWallClock(Duration.ofMinutes(1));
      alarms.readValuesToList().forEach(json -> topologyAlarms.add(alarm(json)));
    }
    final List<Alarm> directAlarms =
        direct.changes.stream()
            .map(c -> new Alarm(c.startMillis(), c.state(), c.statistic()))
            .toList();
    final boolean identical = directAlarms.equals(topologyAlarms);
    out.printf(
        Locale.ROOT,
        "%n### End to end: the real topology (TopologyTestDriver) against the direct feed%n%n"
            + "Series: calibrated, %d/min, +25 %% step from window %d to %d, %d windows, %d events"
            + " as JSON; %.1f s.%n%n",
        RATE,
        ONSET,
        RECOVERY,
        WINDOWS,
        events,
        (System.nanoTime() - started) / 1e9);
    out.println("| source | alarm records (window index: state, S) |");
    out.println("|---|---|");
    out.println("| direct feed | " + describe(directAlarms, origin) + " |");
    out.println("| topology | " + describe(topologyAlarms, origin) + " |");
    out.println(
        "\nIdentical alarms (windows, states and S to the bit): " + (identical ? "YES" : "NO"));
    return identical;
  }

  private static String describe(final List<Alarm> alarms, final long origin) {
    final List<String> parts = new ArrayList<>();
    for (final Alarm alarm : alarms) {
      parts.add(
          String.format(
              Locale.ROOT,
              "%d: %s, %s",
              (alarm.startMillis() - origin) / DriftTraffic.MINUTE_MILLIS,
              alarm.state(),
              alarm.statistic()));
    }
    return parts.isEmpty() ? "none" : String.join("; ", parts);
  }

  private static Alarm alarm(final String json) {
    try {
      final JsonNode node = JSON.readTree(json);
      return new Alarm(
          node.get("startMillis").asLong(),
          node.get("state").asText(),
          node.get("statistic").asDouble());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String event(final Instant at, final double[] q, final int label) {
    final StringBuilder json =
        new StringBuilder("{\"model\": \"bench\", \"version\": \"v1\", \"timestamp\": \"")
            .append(at)
            .append("\", \"probabilities\": [");
    for (int c = 0; c < q.length; c++) {
      json.append(c == 0 ? "" : ", ").append(q[c]);
    }
    return json.append("], \"label\": ").append(label).append('}').toString();
  }
}
