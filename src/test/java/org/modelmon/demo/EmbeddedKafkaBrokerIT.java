package org.modelmon.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.modelmon.testing.KafkaTestUtils.admin;
import static org.modelmon.testing.KafkaTestUtils.consumeAtLeast;
import static org.modelmon.testing.KafkaTestUtils.consumeUntil;
import static org.modelmon.testing.KafkaTestUtils.createTopic;
import static org.modelmon.testing.KafkaTestUtils.uniqueName;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.testing.KafkaBrokerExtension;

/** The embedded broker is a real Kafka: transactions, consumer groups, restarts, clean close. */
@ExtendWith(KafkaBrokerExtension.class)
class EmbeddedKafkaBrokerIT {

  private static final Duration CONSUME_TIMEOUT = Duration.ofSeconds(60);

  private final EmbeddedKafkaBroker broker;

  EmbeddedKafkaBrokerIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @Test
  void shouldDeliverOnlyCommittedTransactionsToReadCommittedConsumers() throws Exception {
    final String topic = uniqueName("transactions");
    try (Admin admin = admin(broker)) {
      createTopic(admin, topic, 3);
      assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions())
          .hasSize(3);
    }

    final List<String> committed = new ArrayList<>();
    try (KafkaProducer<String, String> producer = transactionalProducer()) {
      producer.initTransactions();

      // Given 30 committed records spread over the partitions by key,
      producer.beginTransaction();
      for (int i = 0; i < 30; i++) {
        producer.send(new ProducerRecord<>(topic, "key-" + i, "committed-" + i));
        committed.add("committed-" + i);
      }
      producer.commitTransaction();

      // then 6 aborted ones,
      producer.beginTransaction();
      for (int i = 0; i < 6; i++) {
        producer.send(new ProducerRecord<>(topic, "key-" + i, "aborted-" + i));
      }
      producer.abortTransaction();

      // and a committed record in every partition after them, so that a consumer that has read
      // these has read past every aborted record.
      producer.beginTransaction();
      for (int partition = 0; partition < 3; partition++) {
        producer.send(new ProducerRecord<>(topic, partition, "last", "last-" + partition));
        committed.add("last-" + partition);
      }
      producer.commitTransaction();
    }

    final List<ConsumerRecord<String, String>> received;
    try (KafkaConsumer<String, String> consumer = readCommittedConsumer(uniqueName("group"))) {
      consumer.subscribe(List.of(topic));
      received =
          consumeUntil(
              consumer,
              records -> records.stream().filter(r -> r.value().startsWith("last-")).count() == 3,
              CONSUME_TIMEOUT);
    }

    assertThat(received)
        .extracting(ConsumerRecord::value)
        .containsExactlyInAnyOrderElementsOf(committed);
    assertThat(received.stream().map(ConsumerRecord::partition).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder(0, 1, 2);
  }

  @Test
  void shouldKeepRecordsAcrossARestart() throws Exception {
    final String topic = uniqueName("restart");
    try (Admin admin = admin(broker)) {
      createTopic(admin, topic, 1);
    }
    final List<String> before = values("before", 10);
    produce(topic, before);
    final long pidBefore = broker.pid().orElseThrow();
    final String bootstrapBefore = broker.bootstrapServers();

    broker.restart();

    assertThat(broker.isRunning()).isTrue();
    assertThat(broker.pid().orElseThrow()).isNotEqualTo(pidBefore);
    assertThat(broker.bootstrapServers()).isEqualTo(bootstrapBefore);
    final List<String> after = values("after", 5);
    produce(topic, after);
    try (KafkaConsumer<String, String> consumer = readCommittedConsumer(uniqueName("group"))) {
      final TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      assertThat(consumeAtLeast(consumer, 15, CONSUME_TIMEOUT))
          .extracting(ConsumerRecord::value)
          .containsExactlyElementsOf(concat(before, after));
    }
  }

  @Test
  void shouldLeaveNoProcessAndNoTemporaryFilesAfterClose() {
    final EmbeddedKafkaBroker own = EmbeddedKafkaBroker.start();
    final long pid = own.pid().orElseThrow();
    final Path dataDir = own.dataDir();
    assertThat(dataDir.resolve(EmbeddedKafkaBroker.BROKER_LOG_FILE)).isRegularFile();
    assertThat(ProcessHandle.current().descendants().map(ProcessHandle::pid)).contains(pid);

    own.close();
    own.close();

    assertThat(own.isRunning()).isFalse();
    assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
    assertThat(ProcessHandle.current().descendants().map(ProcessHandle::pid)).doesNotContain(pid);
    assertThat(dataDir).doesNotExist();
    assertThatThrownBy(own::restart).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shouldNeedNothingButTheAddressWithoutSaslUsers() {
    assertThat(broker.clientProperties())
        .isEqualTo(Map.of("bootstrap.servers", broker.bootstrapServers()));
  }

  @Test
  void shouldAcceptSaslPlainUsersAndRefuseAWrongPassword() throws Exception {
    try (EmbeddedKafkaBroker sasl =
        EmbeddedKafkaBroker.builder().saslPlainUsers(Map.of("alice", "alice-secret")).start()) {
      final String topic = uniqueName("sasl");
      try (Admin admin = Admin.create(new HashMap<>(sasl.clientProperties()))) {
        createTopic(admin, topic, 1);
      }

      // A transaction commits only if the broker can write its markers to itself, over the same
      // SASL listener as the admin user: this proves the inter-broker settings too.
      final Properties producerProps = saslProperties(sasl, "alice", "alice-secret");
      producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, uniqueName("producer"));
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "k", "committed"));
        producer.commitTransaction();
      }
      final Properties consumerProps = saslProperties(sasl, "alice", "alice-secret");
      consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, uniqueName("group"));
      consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of(topic));
        assertThat(consumeAtLeast(consumer, 1, CONSUME_TIMEOUT))
            .extracting(ConsumerRecord::value)
            .containsExactly("committed");
      }

      try (Admin wrong = Admin.create(saslProperties(sasl, "alice", "not-her-password"))) {
        assertThatThrownBy(() -> wrong.listTopics().names().get(60, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .hasCauseInstanceOf(SaslAuthenticationException.class);
      }
    }
  }

  @Test
  void shouldReportTheBrokerLogWhenTheBrokerCannotStart() {
    // The storage tool accepts this; the broker fails when it builds the authorizer.
    final EmbeddedKafkaBroker.Builder builder =
        EmbeddedKafkaBroker.builder()
            .brokerProperty("authorizer.class.name", "org.modelmon.NoSuchAuthorizer");

    assertThatThrownBy(builder::start)
        .isInstanceOfSatisfying(
            BrokerStartException.class,
            e -> assertThat(e.reason()).isEqualTo(BrokerStartException.Reason.PROCESS_EXITED))
        .hasMessageContaining("lines of broker.log")
        .hasMessageContaining("org.modelmon.NoSuchAuthorizer");
  }

  private KafkaProducer<String, String> transactionalProducer() {
    final Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, uniqueName("producer"));
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  private void produce(final String topic, final List<String> values) throws Exception {
    final Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      for (final String value : values) {
        producer.send(new ProducerRecord<>(topic, value)).get();
      }
    }
  }

  private KafkaConsumer<String, String> readCommittedConsumer(final String groupId) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            broker.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            groupId,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false),
        new StringDeserializer(),
        new StringDeserializer());
  }

  private static Properties saslProperties(
      final EmbeddedKafkaBroker sasl, final String user, final String password) {
    final Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, sasl.bootstrapServers());
    props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
    props.put(SaslConfigs.SASL_JAAS_CONFIG, EmbeddedKafkaBroker.plainJaasConfig(user, password));
    return props;
  }

  private static List<String> values(final String prefix, final int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
  }

  private static List<String> concat(final List<String> first, final List<String> second) {
    final List<String> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }
}
