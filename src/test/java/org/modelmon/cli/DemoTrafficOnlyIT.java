package org.modelmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.event.ParserLimits;
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

  @Test
  void shouldPublishReferencesAndTrafficToAnExistingCluster(final EmbeddedKafkaBroker broker)
      throws Exception {
    // The default topic names, as a deployed modelmon creates them.
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      final Set<String> existing = admin.listTopics().names().get();
      for (final String topic : List.of("predictions", "model-references")) {
        if (!existing.contains(topic)) {
          admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
      }
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
            "--duration", "5s");

    assertThat(exitCode).as(out.toString()).isZero();
    assertThat(out.toString()).contains("events/s to predictions on " + broker.bootstrapServers());
    final PredictionParser parser = new PredictionParser(ParserLimits.DEFAULTS);
    int valid = 0;
    for (final ConsumerRecord<byte[], byte[]> record : readAll(broker, "predictions", 200)) {
      try {
        parser.parse(record.value(), record.timestamp(), System.currentTimeMillis(), ReferenceLookup.NONE);
        valid++;
      } catch (RuntimeException invalidOnPurpose) {
        // the demo's small share of malformed events
      }
    }
    assertThat(valid).isGreaterThan(200);
    final Set<String> referenceKeys = new HashSet<>();
    for (final ConsumerRecord<byte[], byte[]> record : readAll(broker, "model-references", 1)) {
      referenceKeys.add(new StringDeserializer().deserialize(null, record.key()));
    }
    assertThat(referenceKeys).isNotEmpty();
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(
      final EmbeddedKafkaBroker broker, final String topic, final int atLeast) {
    final java.util.ArrayList<ConsumerRecord<byte[], byte[]>> records = new java.util.ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (records.size() < atLeast && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
      }
      consumer.poll(Duration.ofSeconds(1)).forEach(records::add);
    }
    return records;
  }
}
