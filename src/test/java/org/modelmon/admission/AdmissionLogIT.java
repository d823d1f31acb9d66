package org.modelmon.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.window.ModelKey;

/**
 * Several instances admitting models at once, on the real broker: they must agree on one set of
 * {@code maxModels} pairs, and an instance started later (a restart) must find the same set.
 */
@ExtendWith(KafkaBrokerExtension.class)
class AdmissionLogIT {

  private static final int MAX_MODELS = 5;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final EmbeddedKafkaBroker broker;
  private final String topic = "admitted-models-" + UUID.randomUUID();
  private final List<AdmissionLog> logs = new ArrayList<>();
  private final ExecutorService threads = Executors.newFixedThreadPool(6);

  AdmissionLogIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void close() throws InterruptedException {
    threads.shutdownNow();
    threads.awaitTermination(30, TimeUnit.SECONDS);
    logs.forEach(AdmissionLog::close);
  }

  @BeforeEach
  void createTopic() throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
  }

  private AdmissionLog open() {
    final AdmissionLog log =
        AdmissionLog.open(
            topic,
            MAX_MODELS,
            Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            TIMEOUT);
    logs.add(log);
    return log;
  }

  private static List<ModelKey> models(final int count) {
    final List<ModelKey> models = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      models.add(new ModelKey("model-" + i, i % 3 == 0 ? "" : "v" + (i % 3)));
    }
    return models;
  }

  @Test
  void shouldAdmitOneSetAcrossInstancesRacingForItAndKeepItAfterARestart() throws Exception {
    // Given three instances, two stream threads each, asking about 20 models in their own orders,
    final List<AdmissionLog> instances = List.of(open(), open(), open());
    final List<ModelKey> models = models(20);
    final Map<ModelKey, Set<Boolean>> answers = new ConcurrentHashMap<>();
    final List<Future<?>> work = new ArrayList<>();
    for (int thread = 0; thread < 6; thread++) {
      final AdmissionLog instance = instances.get(thread % 3);
      final List<ModelKey> order = new ArrayList<>(models);
      Collections.shuffle(order, new Random(thread));
      work.add(
          threads.submit(
              () -> {
                for (final ModelKey model : order) {
                  final boolean admitted = instance.admit(model);
                  answers.computeIfAbsent(model, m -> ConcurrentHashMap.newKeySet()).add(admitted);
                }
              }));
    }
    for (final Future<?> done : work) {
      done.get(2, TimeUnit.MINUTES);
    }

    // then every pair got one answer everywhere, and exactly five were admitted,
    assertThat(answers).hasSize(20);
    assertThat(answers.values()).allSatisfy(seen -> assertThat(seen).hasSize(1));
    final Set<ModelKey> admitted = new TreeSet<>(Comparator.comparing(ModelKey::qualifiedName));
    answers.forEach(
        (model, seen) -> {
          if (seen.contains(true)) {
            admitted.add(model);
          }
        });
    assertThat(admitted).hasSize(MAX_MODELS);

    // and an instance that starts afterwards, asking in yet another order, agrees.
    final AdmissionLog restarted = open();
    final List<ModelKey> order = new ArrayList<>(models);
    Collections.shuffle(order, new Random(99));
    for (final ModelKey model : order) {
      assertThat(restarted.admit(model))
          .as(model.qualifiedName())
          .isEqualTo(admitted.contains(model));
    }
  }

  @Test
  void shouldAdmitEveryPairWhileTheSetIsNotFull() {
    final AdmissionLog log = open();
    for (final ModelKey model : models(MAX_MODELS)) {
      assertThat(log.admit(model)).as(model.qualifiedName()).isTrue();
      assertThat(log.admit(model)).as("again " + model.qualifiedName()).isTrue();
    }
    assertThat(log.admit(new ModelKey("one-too-many", ""))).isFalse();
  }
}
