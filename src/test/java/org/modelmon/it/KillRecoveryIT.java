package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.ModelmonProcess;
import org.modelmon.testing.PrometheusText;

/**
 * Exactly-once under SIGKILL: the processor runs in its own JVM while a fixed dataset of 120,000
 * out-of-order events streams in, is killed three times at random moments and restarted on the
 * same state dir each time; every final window and every window gauge must then equal what the
 * events add up to, with no window emitted twice.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KillRecoveryIT {

  private static final int PARTITIONS = 4;
  private static final int EVENTS = 120_000;
  private static final int CHUNKS = 40;
  private static final int KILLS = 3;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L, "5m", 300_000L);

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;
  private ModelmonProcess modelmon;
  private final ExecutorService producerThread = Executors.newSingleThreadExecutor();

  KillRecoveryIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() throws InterruptedException {
    producerThread.shutdownNow();
    producerThread.awaitTermination(30, TimeUnit.SECONDS);
    if (modelmon != null) {
      modelmon.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldProduceExactlyTheUninterruptedTotalsAcrossThreeKills() throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m,5m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", "30s",
                // A killed member must leave the group in seconds, not the default 45 s.
                "kafka.session.timeout.ms", "6000",
                "kafka.heartbeat.interval.ms", "1500"));
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);

    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 300_000L) * 300_000L;
    final Random random = new Random(42);
    final List<ExpectedWindows.Event> events = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      // Ten minutes of event time, up to 3 s out of order; the last event 3 s before a 5m
      // boundary, so the final windows close soon after the stream goes idle.
      final long time = start + (597_000L * i) / EVENTS + random.nextInt(3000);
      events.add(
          i % 3 == 0
              ? ModelmonCluster.binaryEvent(random, "model-" + (i % 7), time)
              : ModelmonCluster.randomEvent(random, time));
    }
    events.forEach(expected::add);

    final java.nio.file.Path config = cluster.configFile(0, 0);
    final java.nio.file.Path output = cluster.workDir().resolve("modelmon.out");
    modelmon = ModelmonProcess.start(config, ModelmonProcess.freePort(), output);
    modelmon.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));

    // The dataset streams in over about 40 s while the processor is killed and restarted.
    final Future<?> production =
        producerThread.submit(
            () -> {
              try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
                final int chunk = EVENTS / CHUNKS;
                for (int c = 0; c < CHUNKS; c++) {
                  for (int i = c * chunk; i < (c + 1) * chunk; i++) {
                    cluster.send(producer, i % PARTITIONS, events.get(i));
                  }
                  producer.flush();
                  Thread.sleep(1000);
                }
              }
              return null;
            });
    for (int kill = 0; kill < KILLS; kill++) {
      // Each kill lands on a running processor, at a random moment of its work.
      Thread.sleep(2000 + random.nextInt(6000));
      modelmon.kill();
      modelmon = ModelmonProcess.start(config, ModelmonProcess.freePort(), output);
      modelmon.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));
    }
    production.get(120, TimeUnit.SECONDS);
    modelmon.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));

    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    final PrometheusText scrape = cluster.scrape(modelmon.httpPort());
    expected.assertLatestWindowGauges(scrape);
    assertThat(scrape.samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());
    assertThat(java.nio.file.Files.readAllLines(output))
        .as("one start per run: the first and one after each kill")
        .filteredOn(line -> line.contains("Starting stream"))
        .hasSize(KILLS + 1);
    // What a SIGKILL leaves behind (RocksDB's unpacked native library, about 15 MB a run) stays
    // in the test's directory, which goes with the test, not in the machine's /tmp.
    try (java.util.stream.Stream<java.nio.file.Path> left =
        java.nio.file.Files.list(output.resolveSibling("modelmon.out.tmp"))) {
      assertThat(left.map(path -> path.getFileName().toString()))
          .anySatisfy(name -> assertThat(name).startsWith("librocksdbjni"));
    }
  }
}
