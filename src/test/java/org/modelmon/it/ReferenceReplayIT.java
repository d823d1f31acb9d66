package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;

/**
 * A reference that changes mid-stream: the live run scores each event against the reference in
 * force at its event time, and a replay of the same input topics under another application id
 * writes a windows topic byte-identical to the live one.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReferenceReplayIT {

  private static final int PARTITIONS = 2;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L, "5m", 300_000L);
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final String MARKER = "end-of-data";
  private static final double[] CHANGED_REFERENCE = {0.6, 0.4};
  private static final ObjectMapper JSON = new ObjectMapper();

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster live;
  private ModelmonCluster replay;

  ReferenceReplayIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (replay != null) {
      replay.close();
    }
    if (live != null) {
      live.close();
    }
  }

  @Test
  void shouldReplayToByteIdenticalWindowsAcrossAReferenceChange() throws Exception {
    // Idle close far above the test's pauses: the data's own markers close the windows, in the
    // live run and in the replay alike.
    // A detector warm-up of 2 windows, so that each model's detector changes state within the
    // data and the alarms topic has records to replay.
    final Map<String, String> settings =
        Map.of(
            "modelmon.windows", "1m,5m",
            "modelmon.window.grace", "5s",
            "modelmon.window.idle.close", "300s",
            "modelmon.detector.warmup", "2");
    live = new ModelmonCluster(broker, settings);
    live.createTopics(PARTITIONS);
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 300_000L) * 300_000L;
    // The second reference is in force from the middle of [start+2m, start+3m): that 1m window
    // has events scored against each, and its drifts — like those of the 5m window — use the
    // second, in force at its end.
    final long change = start + 150_000L;
    live.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}",
        start - 600_000L);
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);
    final Random random = new Random(20261207);
    final List<ExpectedWindows.Event> before =
        ModelmonCluster.events(random, start, change, 2000);
    final List<ExpectedWindows.Event> after =
        ModelmonCluster.events(random, change, start + 300_000L, 2000);
    assertThat(before).allSatisfy(event -> assertThat(event.timeMillis()).isLessThan(change));
    assertThat(after)
        .allSatisfy(event -> assertThat(event.timeMillis()).isGreaterThanOrEqualTo(change));
    before.forEach(expected::add);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, CHANGED_REFERENCE);
    after.forEach(expected::add);

    // Given a live run that scored the events before the change against the first reference,
    final ModelmonApplication instance = live.startInstance();
    awaitReady(instance);
    live.produce(before, PARTITIONS);
    awaitPredictions(instance, before.size());
    // when the second reference arrives — stamped with the time it is in force from — and then
    // the events after it,
    live.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.6,\"leave\":0.4}}", change);
    awaitReferenceEntropy(instance, -(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4)));
    live.produce(after, PARTITIONS);
    live.advanceWatermark(MARKER, start + 330_000L, PARTITIONS);
    final Map<String, String> liveWindows = live.readWindowRecords(expected.byKey().size());
    liveWindows.keySet().removeIf(key -> key.startsWith(MARKER + "@"));
    assertThat(liveWindows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    // then every live window has the per-event KL of the reference in force at each event,
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(
          entry.getKey(), JSON.readTree(liveWindows.get(entry.getKey())), entry.getValue());
    }
    // drifts and reference entropy of the reference in force at the window's end,
    final double firstEntropy = -(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2));
    final double secondEntropy = -(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4));
    assertThat(referenceEntropy(liveWindows, "churn@@1m@" + (start + 60_000L)))
        .isCloseTo(firstEntropy, within(1e-12));
    assertThat(referenceEntropy(liveWindows, "churn@@1m@" + (start + 120_000L)))
        .isCloseTo(secondEntropy, within(1e-12));
    assertThat(referenceEntropy(liveWindows, "churn@@5m@" + start))
        .isCloseTo(secondEntropy, within(1e-12));

    // and a replay of both input topics under a new application id, started after it all,
    replay =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m,5m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", "300s",
                "modelmon.detector.warmup", "2",
                "modelmon.topic.predictions", live.topic("predictions"),
                "modelmon.topic.references", live.topic("model-references")));
    awaitReady(replay.startInstance());
    final Map<String, String> replayed = replay.readWindowRecords(expected.byKey().size());
    replayed.keySet().removeIf(key -> key.startsWith(MARKER + "@"));
    // writes the very same window records, byte for byte,
    assertThat(new TreeMap<>(replayed)).isEqualTo(new TreeMap<>(liveWindows));
    // and the very same alarm records, in the same order per model: every model of the data has
    // three or more final 1m windows with at least 20 events, so its warm-up of 2 ends in them.
    final List<String> liveAlarms = live.readAlarmRecords(8);
    assertThat(liveAlarms)
        .filteredOn(alarm -> alarm.contains("\"state\":\"WATCHING\""))
        .hasSizeGreaterThanOrEqualTo(8);
    final List<String> replayedAlarms = replay.readAlarmRecords(liveAlarms.size());
    assertThat(byModel(replayedAlarms)).isEqualTo(byModel(liveAlarms));
  }

  /** Alarm records ("key value" lines) grouped by key, in topic order within a key. */
  private static Map<String, List<String>> byModel(final List<String> alarms) {
    final Map<String, List<String>> byKey = new TreeMap<>();
    for (final String alarm : alarms) {
      byKey.computeIfAbsent(alarm.substring(0, alarm.indexOf(' ')), k -> new ArrayList<>())
          .add(alarm);
    }
    return byKey;
  }

  private static double referenceEntropy(final Map<String, String> windows, final String key)
      throws IOException {
    final JsonNode window = JSON.readTree(windows.get(key));
    assertThat(window).as(key).isNotNull();
    return window.get("referenceEntropy").asDouble();
  }

  private void awaitReady(final ModelmonApplication instance)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    HttpResponse<String> response = live.get(instance, "/health/ready");
    while (response.statusCode() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(250);
      response = live.get(instance, "/health/ready");
    }
    assertThat(response.statusCode()).as("ready within %s: %s", TIMEOUT, response.body())
        .isEqualTo(200);
  }

  private void awaitPredictions(final ModelmonApplication instance, final int count)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    double scored = live.predictionsTotal(instance);
    while (scored < count && System.nanoTime() < deadline) {
      Thread.sleep(250);
      scored = live.predictionsTotal(instance);
    }
    assertThat(scored).as("events scored within %s", TIMEOUT).isEqualTo((double) count);
  }

  /** Waits until the instance has the reference of entropy {@code entropy} in force now. */
  private void awaitReferenceEntropy(final ModelmonApplication instance, final double entropy)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    Optional<Double> shown = Optional.empty();
    while (System.nanoTime() < deadline) {
      shown =
          live.scrape(instance)
              .value("modelmon_reference_entropy_nats", "model", "churn", "version", "");
      if (shown.isPresent() && Math.abs(shown.get() - entropy) < 1e-12) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("reference entropy still " + shown + ", not " + entropy);
  }
}
