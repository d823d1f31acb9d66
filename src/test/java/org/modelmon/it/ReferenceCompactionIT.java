package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;

/**
 * A valid reference followed by an invalid one for the same key, and a compaction of the
 * references topic that leaves only the invalid one: after a restart the valid reference is still
 * in force, and the invalid record the instance had counted before is not counted again.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReferenceCompactionIT {

  private static final int PARTITIONS = 2;
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final String MARKER = "end-of-data";
  private static final String VALID =
      "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}";
  private static final String INVALID = "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8}}";

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  ReferenceCompactionIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldKeepTheValidReferenceAcrossARestartAfterCompactionRemovedIt() throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", "300s"));
    // Segments roll after 1 s of record time and are cleaned as soon as the cleaner looks.
    cluster.createTopics(
        PARTITIONS,
        Map.of(
            "segment.ms", "1000",
            "min.cleanable.dirty.ratio", "0.0001",
            "min.compaction.lag.ms", "0",
            "delete.retention.ms", "600000"));
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 60_000L) * 60_000L;
    cluster.publishReference("churn", VALID, start - 600_000L);
    cluster.publishReference("churn", INVALID, start - 300_000L);

    // Given an instance that took the valid reference and counted the invalid one,
    final ModelmonApplication first = cluster.startInstance(0);
    awaitReady(first);
    awaitInvalidReferences(first, 1.0);
    first.close();

    // when compaction has removed the valid record, leaving the invalid one (a later invalid
    // record, written while no instance runs, rolls the segment so that the cleaner may clean it),
    cluster.publishReference("churn", INVALID, System.currentTimeMillis());
    awaitCompaction();
    assertThat(cluster.readReferences())
        .extracting(Map.Entry::getValue)
        .containsExactly(INVALID, INVALID);

    // and the instance restarts on its state dir,
    final ModelmonApplication second = cluster.startInstance(0);
    awaitReady(second);
    final Random random = new Random(20261207);
    final List<ExpectedWindows.Event> events =
        ModelmonCluster.events(random, start, start + 60_000L, 400);
    final ExpectedWindows expected = new ExpectedWindows(Map.of("1m", 60_000L));
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);
    events.forEach(expected::add);
    cluster.produce(events, PARTITIONS);
    cluster.advanceWatermark(MARKER, start + 70_000L, PARTITIONS);

    // then the valid reference is still in force: every churn event is scored against it,
    final String churnKey = "churn@@1m@" + start;
    final Map<String, com.fasterxml.jackson.databind.JsonNode> windows =
        cluster.readWindows(expected.byKey().size());
    assertThat(expected.byKey().get(churnKey).referenced).isPositive();
    ExpectedWindows.assertMatches(
        churnKey, windows.get(churnKey), expected.byKey().get(churnKey));
    // and only the invalid record it had not seen before is counted, not the one counted already.
    assertThat(invalidReferences(second)).isEqualTo(1.0);
  }

  /** Waits until the topic holds no valid record any more (the cleaner runs every 15 s). */
  private void awaitCompaction() throws InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    List<Map.Entry<String, String>> records = cluster.readReferences();
    while (records.stream().anyMatch(record -> VALID.equals(record.getValue()))
        && System.nanoTime() < deadline) {
      Thread.sleep(1000);
      records = cluster.readReferences();
    }
    assertThat(records).as("compacted").noneMatch(record -> VALID.equals(record.getValue()));
  }

  private double invalidReferences(final ModelmonApplication instance)
      throws IOException, InterruptedException {
    return cluster.scrape(instance).value("modelmon_invalid_references_total").orElse(0.0);
  }

  private void awaitInvalidReferences(final ModelmonApplication instance, final double count)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (invalidReferences(instance) < count && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    assertThat(invalidReferences(instance)).isEqualTo(count);
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
}
