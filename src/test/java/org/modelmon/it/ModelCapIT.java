package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.PrometheusText;

/**
 * {@code modelmon.max.models} bounds the whole application, not each instance, and the admitted set
 * survives a restart: two instances whose partitions see the models in different orders admit one
 * set of three between them, every event of an admitted model is windowed, every event of any other
 * is dead-lettered, and after a restart the same three are admitted. Both instances hold
 * predictions partitions before the events are produced, and each scores and refuses some of them,
 * so the cap is shown to hold across instances, not within one.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ModelCapIT {

  private static final int PARTITIONS = 4;
  private static final int MAX_MODELS = 3;
  private static final int MODELS = 6;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L);

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  ModelCapIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * Per partition, 60 events over two minutes from {@code from}; partition p sees the models in its
   * own order, starting at model 2p, so each instance meets other models first.
   */
  private static List<List<ExpectedWindows.Event>> events(
      final Random random, final long from, final List<String> models) {
    final List<List<ExpectedWindows.Event>> byPartition = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      final List<ExpectedWindows.Event> events = new ArrayList<>();
      for (int j = 0; j < 60; j++) {
        final String model = models.get((2 * p + j) % models.size());
        events.add(ModelmonCluster.binaryEvent(random, model, from + j * 2_000L + p));
      }
      byPartition.add(events);
    }
    return byPartition;
  }

  private void produce(final List<List<ExpectedWindows.Event>> byPartition) {
    try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
      for (int p = 0; p < PARTITIONS; p++) {
        for (final ExpectedWindows.Event event : byPartition.get(p)) {
          cluster.send(producer, p, event);
        }
      }
    }
  }

  private static int count(final List<List<ExpectedWindows.Event>> byPartition) {
    return byPartition.stream().mapToInt(List::size).sum();
  }

  @Test
  void shouldAdmitOneSetForTheApplicationAndKeepItAcrossARestart() throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m",
                "modelmon.window.grace", "2s",
                "modelmon.window.idle.close", "5s",
                "modelmon.max.models", Integer.toString(MAX_MODELS)));
    cluster.createTopics(PARTITIONS);
    final List<String> models = new ArrayList<>();
    for (int m = 0; m < MODELS; m++) {
      models.add("cap-" + m);
    }
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 60_000L) * 60_000L;
    final Random random = new Random(5);
    final List<List<ExpectedWindows.Event>> first = events(random, start, models);

    // Two instances share the partitions: each scores models the other has not seen yet. Both
    // hold predictions partitions and are running before any event is produced, so neither can
    // have processed everything alone before the other joined.
    final ModelmonApplication one = cluster.startInstance();
    final ModelmonApplication two = cluster.startInstance();
    awaitPredictionsSpreadOver(2);
    awaitReady(one);
    awaitReady(two);
    produce(first);
    awaitScoredOrRefused(List.of(one, two), count(first));
    for (final ModelmonApplication instance : List.of(one, two)) {
      final PrometheusText scrape = cluster.scrape(instance);
      assertThat(
              scrape.samples("modelmon_predictions_total").stream()
                  .mapToDouble(PrometheusText.Sample::value)
                  .sum())
          .as("events this instance scored (admitted)")
          .isPositive();
      assertThat(scrape.value("modelmon_invalid_events_total", "reason", "TOO_MANY_MODELS"))
          .as("events this instance refused")
          .hasValueSatisfying(refused -> assertThat(refused).isPositive());
    }

    final Set<String> admitted = new TreeSet<>();
    for (final ModelmonApplication instance : List.of(one, two)) {
      for (final PrometheusText.Sample sample :
          cluster.scrape(instance).samples("modelmon_predictions_total")) {
        admitted.add(sample.labels().get("model"));
      }
    }
    assertThat(admitted).as("admitted by the application").hasSize(MAX_MODELS);
    assertThat(admitted)
        .as("the first three models claimed on the admission log, in the broker's order")
        .isEqualTo(firstClaims(MAX_MODELS));
    assertWindowsAndDeadLetters(admitted, List.of(first));

    // A restart, with one instance: the same models are admitted, a new one is not.
    one.close();
    two.close();
    final List<String> withNewcomer = new ArrayList<>(models);
    withNewcomer.add("cap-new");
    final List<List<ExpectedWindows.Event>> second = events(random, start + 300_000L, withNewcomer);
    produce(second);
    final ModelmonApplication restarted = cluster.startInstance(0);
    awaitScoredOrRefused(List.of(restarted), count(second));
    final Set<String> admittedAfterRestart = new TreeSet<>();
    for (final PrometheusText.Sample sample :
        cluster.scrape(restarted).samples("modelmon_predictions_total")) {
      admittedAfterRestart.add(sample.labels().get("model"));
    }
    assertThat(admittedAfterRestart).isEqualTo(admitted);
    assertWindowsAndDeadLetters(admitted, List.of(first, second));
  }

  /** Every final window is exactly the admitted models' events; the others are dead letters. */
  private void assertWindowsAndDeadLetters(
      final Set<String> admitted, final List<List<List<ExpectedWindows.Event>>> batches)
      throws Exception {
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    int refused = 0;
    for (final List<List<ExpectedWindows.Event>> batch : batches) {
      for (final List<ExpectedWindows.Event> partition : batch) {
        for (final ExpectedWindows.Event event : partition) {
          if (admitted.contains(event.model())) {
            expected.add(event);
          } else {
            refused++;
          }
        }
      }
    }
    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    assertThat(cluster.countRecords("predictions-dlq", refused)).isEqualTo(refused);
  }

  /** The first {@code count} distinct models on the application's admission log. */
  private Set<String> firstClaims(final int count) {
    final Set<String> first = new LinkedHashSet<>();
    final TopicPartition log = new TopicPartition(cluster.applicationId() + "-admitted-models", 0);
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringDeserializer(),
            new StringDeserializer())) {
      consumer.assign(List.of(log));
      consumer.seekToBeginning(List.of(log));
      final long end = consumer.endOffsets(List.of(log)).get(log);
      while (consumer.position(log) < end) {
        for (final ConsumerRecord<String, String> claim : consumer.poll(Duration.ofMillis(500))) {
          if (first.size() < count) {
            first.add(claim.key());
          }
        }
      }
    }
    return new TreeSet<>(first);
  }

  /**
   * Waits until the application's consumer group is stable with {@code members} members (one stream
   * thread per instance) and each of them holds at least one predictions partition.
   */
  private void awaitPredictionsSpreadOver(final int members) throws Exception {
    final String predictions = cluster.topic("predictions");
    final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    String last = "not described yet";
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      while (System.nanoTime() < deadline) {
        final ConsumerGroupDescription group =
            admin
                .describeConsumerGroups(List.of(cluster.applicationId()))
                .all()
                .get()
                .get(cluster.applicationId());
        final List<Set<Integer>> held = new ArrayList<>();
        for (final MemberDescription member : group.members()) {
          final Set<Integer> partitions = new TreeSet<>();
          for (final TopicPartition partition : member.assignment().topicPartitions()) {
            if (partition.topic().equals(predictions)) {
              partitions.add(partition.partition());
            }
          }
          held.add(partitions);
        }
        last = group.groupState() + " " + held;
        if (group.groupState() == GroupState.STABLE
            && held.size() == members
            && held.stream().noneMatch(Set::isEmpty)) {
          return;
        }
        Thread.sleep(250);
      }
    }
    throw new AssertionError(
        "predictions partitions not spread over " + members + " members: " + last);
  }

  /** Waits until {@code /health/ready} answers 200: the instance's stream is RUNNING. */
  private void awaitReady(final ModelmonApplication instance) throws Exception {
    final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    HttpResponse<String> response = cluster.get(instance, "/health/ready");
    while (response.statusCode() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(250);
      response = cluster.get(instance, "/health/ready");
    }
    assertThat(response.statusCode()).as("ready: %s", response.body()).isEqualTo(200);
  }

  /** Waits until the instances' counters account for {@code events} more events. */
  private void awaitScoredOrRefused(final List<ModelmonApplication> instances, final int events)
      throws Exception {
    final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    double seen = 0;
    while (seen < events && System.nanoTime() < deadline) {
      seen = 0;
      for (final ModelmonApplication instance : instances) {
        final PrometheusText scrape = cluster.scrape(instance);
        seen +=
            scrape.samples("modelmon_predictions_total").stream()
                    .mapToDouble(PrometheusText.Sample::value)
                    .sum()
                + scrape
                    .value("modelmon_invalid_events_total", "reason", "TOO_MANY_MODELS")
                    .orElse(0.0);
      }
      Thread.sleep(500);
    }
    assertThat(seen).as("events scored or refused").isEqualTo(events);
  }
}
