package org.modelmon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.modelmon.testing.KafkaTestUtils.admin;
import static org.modelmon.testing.KafkaTestUtils.consumeAtLeast;
import static org.modelmon.testing.KafkaTestUtils.uniqueName;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import picocli.CommandLine;

/**
 * {@code reference publish} against a real broker, run in-process as {@link Main} runs it: what
 * lands on the references topic, byte for byte, how the topic is created, and that refused input
 * publishes nothing.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReferencePublishIT {

  private static final Duration CONSUME_TIMEOUT = Duration.ofSeconds(30);

  private final EmbeddedKafkaBroker broker;

  @TempDir Path dir;

  /** Fresh names for every topic, so that a test can tell what the command created. */
  private String referencesTopic;

  private List<String> otherTopics;

  ReferencePublishIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @BeforeEach
  void nameTopics() {
    referencesTopic = uniqueName("references");
    otherTopics = List.of(uniqueName("predictions"), uniqueName("dlq"), uniqueName("windows"));
  }

  @Test
  void shouldPublishADistributionToANewCompactedTopicAndCreateNothingElse() throws Exception {
    final Result result =
        publish("--model", "churn", "--version", "v3", "--distribution", "stay=0.8,leave=0.2");

    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.out().lines())
        .containsExactly(
            "Published reference churn@v3 to "
                + referencesTopic
                + ": 2 classes (stay=0.8, leave=0.2), H(p) = 0.500402 nats");
    assertThat(readAll())
        .containsExactly(
            record(
                "churn@v3",
                "{\"model\":\"churn\",\"version\":\"v3\","
                    + "\"distribution\":{\"stay\":0.8,\"leave\":0.2}}"));
    try (Admin admin = admin(broker)) {
      final TopicDescription topic =
          admin.describeTopics(List.of(referencesTopic)).allTopicNames().get().get(referencesTopic);
      assertThat(topic.partitions()).hasSize(1);
      final ConfigResource resource =
          new ConfigResource(ConfigResource.Type.TOPIC, referencesTopic);
      final Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
          .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
      // A superseded reference stays a week: replays on wiped state find the history.
      assertThat(config.get(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG).value())
          .isEqualTo("604800000");
      assertThat(admin.listTopics().names().get()).doesNotContainAnyElementsOf(otherTopics);
    }
  }

  @Test
  void shouldPublishTheLabelMixOfAFileOfEventsAndBareLabels() throws Exception {
    final Path labels = dir.resolve("labels.jsonl");
    Files.writeString(
        labels,
        String.join(
            "\n",
            // object form, a string label
            "{\"model\": \"fraud\", \"probabilities\": {\"ok\": 0.9, \"fraud\": 0.1}, \"label\":"
                + " \"ok\"}",
            // array form with classes, the label an index: "ok"
            "{\"model\": \"fraud\", \"probabilities\": [0.7, 0.3], \"classes\": [\"ok\","
                + " \"fraud\"], \"label\": 0}",
            // score form, a boolean label: "1"
            "{\"model\": \"fraud\", \"version\": \"v2\", \"score\": 0.6, \"label\": true}",
            // another model: ignored
            "{\"model\": \"churn\", \"probabilities\": {\"a\": 0.5, \"b\": 0.5}, \"label\": \"a\"}",
            "",
            // bare labels
            "\"fraud\"",
            "\"ok\"",
            "1",
            ""),
        UTF_8);

    final Result result = publish("--model", "fraud", "--from-labels", labels.toString());

    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .startsWith("Published reference fraud to " + referencesTopic + ": 3 classes (ok=0.5,")
        .contains("; from 6 labels, 1 events of other models or without a label ignored");
    assertThat(readAll())
        .containsExactly(
            record(
                "fraud",
                "{\"model\":\"fraud\",\"distribution\":"
                    + "{\"ok\":0.5,\"1\":0.3333333333333333,\"fraud\":0.16666666666666666}}"));
  }

  @Test
  void shouldPublishNothingForAnInvalidDistribution() throws Exception {
    assertThat(publish("--model", "m", "--distribution", "a=0.5,b=0.5").exitCode()).isZero();
    assertThat(endOffset()).isEqualTo(1);

    final Result refused = publish("--model", "m", "--distribution", "a=0.5,b=0.6");

    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(refused.out()).isEmpty();
    assertThat(refused.err().lines())
        .containsExactly(
            "modelmon: --distribution: not a valid reference: distribution sums to 1.1, more than"
                + " 0.001 away from 1");
    assertThat(endOffset()).isEqualTo(1);
    assertThat(readAll())
        .containsExactly(record("m", "{\"model\":\"m\",\"distribution\":{\"a\":0.5,\"b\":0.5}}"));
  }

  @Test
  void shouldNotEvenCreateTheTopicForInvalidInput() throws Exception {
    final Result refused = publish("--model", "m", "--distribution", "a=1");

    assertThat(refused.exitCode()).isEqualTo(2);
    try (Admin admin = admin(broker)) {
      assertThat(admin.listTopics().names().get()).doesNotContain(referencesTopic);
    }
  }

  @Test
  void shouldReplaceAReferenceUnderTheSameKey() throws Exception {
    publish("--model", "m", "--distribution", "a=0.5,b=0.5");
    publish("--model", "m", "--version", "v1", "--distribution", "a=0.9,b=0.1");
    publish("--model", "m", "--distribution", "a=0.25,b=0.75");

    // Compaction keeps the last value of each key: what the processor ends up with.
    final Map<String, String> latest = new LinkedHashMap<>();
    readAll().forEach(r -> latest.put(r.key(), r.value()));
    assertThat(latest)
        .containsExactly(
            Map.entry("m", "{\"model\":\"m\",\"distribution\":{\"a\":0.25,\"b\":0.75}}"),
            Map.entry(
                "m@v1",
                "{\"model\":\"m\",\"version\":\"v1\",\"distribution\":{\"a\":0.9,\"b\":0.1}}"));
  }

  @Test
  void shouldStampTheRecordWithTheTimeItIsInForceFrom() throws Exception {
    final long before = System.currentTimeMillis();
    final Result now = publish("--model", "m", "--distribution", "a=0.5,b=0.5");
    final long after = System.currentTimeMillis();
    final Result text =
        publish(
            "--model", "m", "--distribution", "a=0.6,b=0.4",
            "--effective-from", "2026-11-28T15:00:00.250+01:00");
    final Result millis =
        publish(
            "--model", "m", "--distribution", "a=0.7,b=0.3", "--effective-from", "1795874400000");

    assertThat(now.exitCode()).isZero();
    assertThat(now.out()).doesNotContain("in force from");
    assertThat(text.exitCode()).isZero();
    assertThat(text.out().strip()).endsWith("; in force from 2026-11-28T14:00:00.250Z");
    assertThat(millis.exitCode()).isZero();
    assertThat(millis.out().strip()).endsWith("; in force from 2026-11-28T14:00:00Z");
    final List<Long> timestamps = readTimestamps();
    assertThat(timestamps).hasSize(3);
    assertThat(timestamps.get(0)).isBetween(before, after);
    assertThat(timestamps.subList(1, 3)).containsExactly(1_795_874_400_250L, 1_795_874_400_000L);
  }

  private Result publish(final String... args) {
    final List<String> all = new ArrayList<>(List.of("reference", "publish"));
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "-D", "modelmon.bootstrap.servers=" + broker.bootstrapServers(),
            "-D", "modelmon.topic.references=" + referencesTopic,
            "-D", "modelmon.topic.predictions=" + otherTopics.get(0),
            "-D", "modelmon.topic.dlq=" + otherTopics.get(1),
            "-D", "modelmon.topic.windows=" + otherTopics.get(2)));
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final CommandLine commandLine = Main.commandLine(Map.of());
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    final int exitCode = commandLine.execute(all.toArray(String[]::new));
    return new Result(exitCode, out.toString(), err.toString());
  }

  /** Every committed record of the references topic, oldest first. */
  private List<Record> readAll() {
    try (KafkaConsumer<String, String> consumer = consumer()) {
      final TopicPartition partition = new TopicPartition(referencesTopic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      final long end = consumer.endOffsets(List.of(partition)).get(partition);
      final List<ConsumerRecord<String, String>> records =
          consumeAtLeast(consumer, (int) end, CONSUME_TIMEOUT);
      return records.stream().map(r -> record(r.key(), r.value())).toList();
    }
  }

  /** The record timestamps of the references topic, oldest first. */
  private List<Long> readTimestamps() {
    try (KafkaConsumer<String, String> consumer = consumer()) {
      final TopicPartition partition = new TopicPartition(referencesTopic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      final long end = consumer.endOffsets(List.of(partition)).get(partition);
      return consumeAtLeast(consumer, (int) end, CONSUME_TIMEOUT).stream()
          .map(ConsumerRecord::timestamp)
          .toList();
    }
  }

  private long endOffset() {
    try (KafkaConsumer<String, String> consumer = consumer()) {
      final TopicPartition partition = new TopicPartition(referencesTopic, 0);
      return consumer.endOffsets(Set.of(partition)).get(partition);
    }
  }

  private KafkaConsumer<String, String> consumer() {
    final Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer());
  }

  private static Record record(final String key, final String value) {
    return new Record(key, value);
  }

  private record Record(String key, String value) {}

  private record Result(int exitCode, String out, String err) {}
}
