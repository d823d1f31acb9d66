package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;

/**
 * An instance restarted with its local state dir wiped (a lost volume, a new node): the new
 * instance, same application id and an empty state dir, restores every store from the changelog
 * topics and carries on to exactly the windows of an uninterrupted run, none emitted twice, with
 * the window history and the model list of before the restart.
 */
@ExtendWith(KafkaBrokerExtension.class)
class WipedStateRestartIT {

  private static final int PARTITIONS = 4;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L, "5m", 300_000L);
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final String MARKER = "end-of-data";

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  WipedStateRestartIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldRestoreFromChangelogsWhenRestartedWithAnEmptyStateDir() throws Exception {
    // Idle close far above the pause between the halves (close, wipe, start, restore: 10–30 s),
    // so that no window is closed by the wall clock meanwhile; markers end the data instead.
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m,5m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", "120s"));
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 300_000L) * 300_000L;
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);
    final Random random = new Random(20261202);
    // [start, start+3m) before the restart, [start+3m, start+5m) after: the windows up to
    // start+2m are final before it, [start+2m, start+3m) and the 5m window are open across it.
    final List<ExpectedWindows.Event> before =
        ModelmonCluster.events(random, start, start + 180_000L, 3000);
    final List<ExpectedWindows.Event> after =
        ModelmonCluster.events(random, start + 180_000L, start + 300_000L, 2000);
    before.forEach(expected::add);
    after.forEach(expected::add);

    // Given an instance that scored the first half and finalised its first windows,
    final ModelmonApplication first = cluster.startInstance(0);
    awaitReady(first);
    cluster.produce(before, PARTITIONS);
    cluster.awaitFirstWindow();
    awaitPredictions(first, before.size());
    // when it stops and its state dir is lost,
    first.close();
    Utils.delete(cluster.stateDir(0).toFile());
    assertThat(cluster.stateDir(0)).doesNotExist();
    // and a new instance starts on the same, now empty, state dir,
    final ModelmonApplication second = cluster.startInstance(0);
    awaitReady(second);
    cluster.produce(after, PARTITIONS);
    cluster.advanceWatermark(MARKER, start + 330_000L, PARTITIONS);

    // then every window is exact — those open across the restart were restored — and none was
    // emitted twice (readWindows checks),
    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    windows.keySet().removeIf(key -> key.startsWith(MARKER + "@"));
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(
          entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    // the new instance knows every model's count from before the restart,
    final Map<String, Long> listed = new TreeMap<>();
    for (final JsonNode model : cluster.getJson(second, "/api/v1/models")) {
      listed.put(
          model.get("model").asText() + "@" + model.get("version").asText(),
          model.get("predictions").asLong());
    }
    listed.keySet().removeIf(key -> key.startsWith(MARKER + "@"));
    assertThat(listed).isEqualTo(expected.predictionsByModel());
    // and serves the window history, the windows finalised before the restart included.
    final JsonNode history =
        cluster.getJson(
            second,
            "/api/v1/models/churn/windows?window=1m&version=&from=" + start
                + "&to=" + (start + 300_000L));
    final List<String> keys = new ArrayList<>();
    for (final JsonNode window : history) {
      final String key = "churn@@1m@" + window.get("startMillis").asLong();
      ExpectedWindows.assertMatches(key, window, expected.byKey().get(key));
      keys.add(key);
    }
    assertThat(keys)
        .containsExactly(
            "churn@@1m@" + start,
            "churn@@1m@" + (start + 60_000L),
            "churn@@1m@" + (start + 120_000L),
            "churn@@1m@" + (start + 180_000L),
            "churn@@1m@" + (start + 240_000L));
    assertThat(cluster.scrape(second).samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());
    assertThat(Files.isDirectory(cluster.stateDir(0))).isTrue();
  }

  private void awaitReady(final ModelmonApplication instance)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    HttpResponse<String> response = cluster.get(instance, "/health/ready");
    while (response.statusCode() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(250);
      response = cluster.get(instance, "/health/ready");
    }
    assertThat(response.statusCode()).as("ready within %s: %s", TIMEOUT, response.body())
        .isEqualTo(200);
  }

  private void awaitPredictions(final ModelmonApplication instance, final int count)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    double scored = cluster.predictionsTotal(instance);
    while (scored < count && System.nanoTime() < deadline) {
      Thread.sleep(250);
      scored = cluster.predictionsTotal(instance);
    }
    assertThat(scored).as("events scored within %s", TIMEOUT).isEqualTo((double) count);
  }
}
