package org.modelmon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.demo.DemoEvent;
import org.modelmon.demo.DemoModels;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.demo.TrafficGenerator;
import org.modelmon.event.InvalidEventException;
import org.modelmon.event.InvalidReason;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.reference.ReferenceLookup;
import org.modelmon.testing.KafkaBrokerExtension;
import picocli.CommandLine;

/**
 * {@code demo --bootstrap-servers … --traffic-only}, the traffic generator of the Docker Compose
 * stack: references and synthetic events go to an existing cluster; no broker, no processor.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DemoTrafficOnlyIT {

  /** The demo's own seed and invalid share, stated so the test can replay its generator. */
  private static final long SEED = 42;

  private static final double INVALID_RATE = 0.05;

  @Test
  void shouldPublishReferencesAndTrafficToAnExistingCluster(final EmbeddedKafkaBroker broker)
      throws Exception {
    // The default topic names, as a deployed modelmon creates them: one partition each, so the
    // records stay in the order the demo sent them.
    final Map<TopicPartition, Long> before;
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      final Set<String> existing = admin.listTopics().names().get();
      for (final String topic : List.of("predictions", "model-references")) {
        if (!existing.contains(topic)) {
          admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
      }
      before = endOffsets(broker, List.of("predictions", "model-references"));
    }
    final StringWriter out = new StringWriter();
    final CommandLine commandLine = Main.commandLine(Map.of());
    commandLine.setOut(new PrintWriter(out, true));

    final int exitCode =
        commandLine.execute(
            "demo",
            "--bootstrap-servers", broker.bootstrapServers(),
            "--traffic-only",
            "--rate", "100",
            "--duration", "5s",
            "--seed", Long.toString(SEED),
            "--invalid-rate", Double.toString(INVALID_RATE),
            // Far beyond the run: no event drifts, so the generator below replays the same draws.
            "--drift-after", "1h");

    assertThat(exitCode).as(out.toString()).isZero();
    assertThat(out.toString()).contains("events/s to predictions on " + broker.bootstrapServers());
    // The command has closed its producer, so everything it sent is on the topic by now.
    final List<ConsumerRecord<byte[], byte[]>> records = readToEnd(broker, "predictions", before);
    // 5 s at 100 events/s; a floor of one second's worth leaves room for a busy machine.
    assertThat(records).hasSizeGreaterThanOrEqualTo(100);

    // The demo's generator, replayed: every record is its next event, in order, none missing or
    // doubled, and the production parser accepts exactly the valid ones and refuses each broken
    // one for the reason it was broken with. Any other exception fails the test.
    final TrafficGenerator replay =
        new TrafficGenerator(DemoModels.defaults(), INVALID_RATE, SEED);
    final PredictionParser parser = new PredictionParser(ParserLimits.DEFAULTS);
    final Map<DemoEvent.Kind, Integer> kinds = new EnumMap<>(DemoEvent.Kind.class);
    for (int i = 0; i < records.size(); i++) {
      final ConsumerRecord<byte[], byte[]> record = records.get(i);
      final DemoEvent expected = replay.next(record.timestamp(), false);
      final String where = "record " + i + " " + new String(record.value(), UTF_8);
      assertThat(new String(record.key(), UTF_8))
          .as(where)
          .isEqualTo(new String(expected.key(), UTF_8));
      kinds.merge(expected.kind(), 1, Integer::sum);
      if (expected.kind() == DemoEvent.Kind.VALID) {
        final PredictionEvent event =
            parser.parse(
                record.value(),
                record.timestamp(),
                System.currentTimeMillis(),
                ReferenceLookup.NONE);
        assertThat(event.model()).as(where).isEqualTo(expected.model().name());
        assertThat(event.version()).as(where).isEqualTo(expected.model().version());
        assertThat(event.id()).as(where).isEqualTo(new String(expected.key(), UTF_8));
      } else {
        assertThatThrownBy(
                () ->
                    parser.parse(
                        record.value(),
                        record.timestamp(),
                        System.currentTimeMillis(),
                        ReferenceLookup.NONE))
            .as(where)
            .isInstanceOfSatisfying(
                InvalidEventException.class,
                e -> assertThat(e.reason()).as(where).isEqualTo(reasonOf(expected.kind())));
      }
    }
    // The replay covered valid events and at least one broken one (5% of some 500).
    assertThat(kinds.get(DemoEvent.Kind.VALID)).isGreaterThan(90);
    assertThat(kinds.size()).as("kinds seen: %s", kinds).isGreaterThan(1);

    final Set<String> referenceKeys = new HashSet<>();
    for (final ConsumerRecord<byte[], byte[]> record :
        readToEnd(broker, "model-references", before)) {
      referenceKeys.add(new StringDeserializer().deserialize(null, record.key()));
    }
    assertThat(referenceKeys)
        .containsExactlyInAnyOrderElementsOf(
            DemoModels.references(DemoModels.defaults()).keySet());
  }

  private static InvalidReason reasonOf(final DemoEvent.Kind kind) {
    return switch (kind) {
      case TRUNCATED_JSON -> InvalidReason.MALFORMED_JSON;
      case UNKNOWN_LABEL -> InvalidReason.UNKNOWN_LABEL;
      case PROBABILITY_SUM -> InvalidReason.PROBABILITY_SUM;
      case VALID -> throw new IllegalArgumentException("valid");
    };
  }

  private static KafkaConsumer<byte[], byte[]> consumer(final EmbeddedKafkaBroker broker) {
    return new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  private static Map<TopicPartition, Long> endOffsets(
      final EmbeddedKafkaBroker broker, final List<String> topics) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker)) {
      final List<TopicPartition> partitions = new ArrayList<>();
      for (final String topic : topics) {
        consumer
            .partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
      }
      return new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
    }
  }

  /**
   * Every record of {@code topic} from the offsets in {@code from} (or the start, for a partition
   * it lacks) to the end offsets of now: exactly what was written in between, without waiting for
   * a quiet period.
   */
  private static List<ConsumerRecord<byte[], byte[]>> readToEnd(
      final EmbeddedKafkaBroker broker,
      final String topic,
      final Map<TopicPartition, Long> from) {
    final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker)) {
      final List<TopicPartition> partitions = new ArrayList<>();
      consumer
          .partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
      consumer.assign(partitions);
      final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      for (final TopicPartition partition : partitions) {
        consumer.seek(partition, from.getOrDefault(partition, 0L));
      }
      final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        assertThat(System.nanoTime()).as("read %s to its end in time", topic).isLessThan(deadline);
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
      }
    }
    return records;
  }
}
