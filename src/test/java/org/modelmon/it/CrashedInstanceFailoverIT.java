package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
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
 * One of two instances is killed with SIGKILL under live traffic and its group membership
 * outlives the idle close: its partitions fall silent for the whole fail-over (session timeout,
 * then restore), far longer than {@code modelmon.window.idle.close}. They must hold the watermark
 * rather than pass for idle, so that their backlog is windowed as it would have been live: every
 * final window exact, no late event.
 */
@ExtendWith(KafkaBrokerExtension.class)
class CrashedInstanceFailoverIT {

  private static final int PARTITIONS = 4;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("10s", 10_000L, "30s", 30_000L);
  private static final Duration TRAFFIC = Duration.ofSeconds(60);
  private static final int EVENTS_PER_SECOND = 100;

  private final EmbeddedKafkaBroker broker;
  private final ExecutorService producerThread = Executors.newSingleThreadExecutor();
  private final List<ModelmonProcess> instances = new ArrayList<>();
  private ModelmonCluster cluster;

  CrashedInstanceFailoverIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() throws InterruptedException {
    producerThread.shutdownNow();
    producerThread.awaitTermination(30, TimeUnit.SECONDS);
    for (final ModelmonProcess instance : instances) {
      instance.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldWindowACrashedInstancesBacklogExactlyWhenFailOverOutlastsIdleClose()
      throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "10s,30s",
                "modelmon.window.grace", "2s",
                // Fail-over (30 s session timeout, then restore) takes three idle-close periods.
                "modelmon.window.idle.close", "10s",
                "kafka.session.timeout.ms", "30000",
                "kafka.heartbeat.interval.ms", "3000"));
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);

    final Path output = cluster.workDir().resolve("modelmon.out");
    final ModelmonProcess survivor = start(cluster.configFile(0, 0), output);
    final ModelmonProcess victim = start(cluster.configFile(1, 0), output);
    survivor.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));
    victim.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));

    // Live traffic: event time is the wall clock at sending, round-robin over the partitions.
    final List<ExpectedWindows.Event> sent = new ArrayList<>();
    final Future<?> production =
        producerThread.submit(
            () -> {
              final Random random = new Random(17);
              try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
                final long end = System.nanoTime() + TRAFFIC.toNanos();
                int i = 0;
                while (System.nanoTime() < end) {
                  for (int n = 0; n < EVENTS_PER_SECOND / 10; n++, i++) {
                    final ExpectedWindows.Event event =
                        i % 2 == 0
                            ? ModelmonCluster.randomEvent(random, System.currentTimeMillis())
                            : ModelmonCluster.binaryEvent(
                                random, "model-" + (i % 5), System.currentTimeMillis());
                    cluster.send(producer, i % PARTITIONS, event);
                    sent.add(event);
                  }
                  producer.flush();
                  Thread.sleep(100);
                }
              }
              return null;
            });

    // Killed mid-stream, once windows are being closed on live data.
    cluster.awaitFirstWindow();
    Thread.sleep(5_000);
    victim.kill();
    production.get(TRAFFIC.toSeconds() + 60, TimeUnit.SECONDS);
    sent.forEach(expected::add);

    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(
          entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    final PrometheusText scrape = cluster.scrape(survivor.httpPort());
    assertThat(scrape.samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());
  }

  private ModelmonProcess start(final Path config, final Path output) throws Exception {
    final ModelmonProcess instance =
        ModelmonProcess.start(config, ModelmonProcess.freePort(), output);
    instances.add(instance);
    return instance;
  }
}
