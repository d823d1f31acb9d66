package org.modelmon;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.modelmon.config.ConfigException;
import org.modelmon.config.ModelmonConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates modelmon's topics when they are missing, and reads how many partitions the predictions
 * topic has. Existing topics are left as they are; the labels topic must have as many partitions as
 * the predictions topic.
 */
public final class TopicSetup {

  /** Partitions of a predictions topic modelmon creates: room for a few instances. */
  static final int PREDICTIONS_PARTITIONS = 4;

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /**
   * Ensures every topic exists.
   *
   * @return the number of partitions of the predictions topic
   * @throws ConfigException when the labels topic has another number of partitions
   */
  static int ensureTopics(final Admin admin, final ModelmonConfig config)
      throws ExecutionException, InterruptedException {
    final Set<String> existing = admin.listTopics().names().get();
    final List<NewTopic> missing = new ArrayList<>();
    if (!existing.contains(config.predictionsTopic())) {
      missing.add(
          new NewTopic(
              config.predictionsTopic(), Optional.of(PREDICTIONS_PARTITIONS), Optional.empty()));
    }
    if (!existing.contains(config.dlqTopic())) {
      missing.add(new NewTopic(config.dlqTopic(), Optional.of(1), Optional.empty()));
    }
    if (!existing.contains(config.windowsTopic())) {
      missing.add(new NewTopic(config.windowsTopic(), Optional.of(1), Optional.empty()));
    }
    if (!existing.contains(config.alarmsTopic())) {
      missing.add(new NewTopic(config.alarmsTopic(), Optional.of(1), Optional.empty()));
    }
    if (!existing.contains(config.referencesTopic())) {
      missing.add(referencesTopic(config));
    }
    if (!existing.contains(admissionTopic(config))) {
      // Never compacted or expired: the admitted set is the first max.models pairs claimed on it.
      missing.add(
          new NewTopic(admissionTopic(config), Optional.of(1), Optional.empty())
              .configs(
                  Map.of(
                      TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                      TopicConfig.RETENTION_MS_CONFIG, "-1",
                      TopicConfig.RETENTION_BYTES_CONFIG, "-1")));
    }
    createAll(admin, missing);
    final int partitions = partitionsOf(admin, config.predictionsTopic());
    final String labelsTopic = config.labels().topic();
    if (!existing.contains(labelsTopic)) {
      // As many partitions as the predictions topic: a reading task reads one of each.
      createAll(
          admin, List.of(new NewTopic(labelsTopic, Optional.of(partitions), Optional.empty())));
    }
    final int labelPartitions = partitionsOf(admin, labelsTopic);
    if (labelPartitions != partitions) {
      throw new ConfigException(
          "modelmon.topic.labels: topic "
              + labelsTopic
              + " has "
              + labelPartitions
              + " partitions, but the predictions topic "
              + config.predictionsTopic()
              + " has "
              + partitions
              + "; they must have as many (add partitions to the smaller one)");
    }
    return partitions;
  }

  private static int partitionsOf(final Admin admin, final String topic)
      throws ExecutionException, InterruptedException {
    final TopicDescription description =
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    return description.partitions().size();
  }

  /**
   * The application's model admission log ({@link org.modelmon.admission.AdmissionLog}): {@code
   * <modelmon.application.id>-admitted-models}, like the topics Kafka Streams names after the
   * application id.
   */
  public static String admissionTopic(final ModelmonConfig config) {
    return config.applicationId() + "-admitted-models";
  }

  /**
   * Ensures the references topic ({@code modelmon.topic.references}) exists, creating it as the
   * processor would (one partition, compacted) when it is missing; an existing topic is left as it
   * is. For {@code reference publish}, which must not create the processor's other topics.
   *
   * @throws ExecutionException when the broker refuses or cannot be reached; the cause says why
   */
  public static void ensureReferencesTopic(final Admin admin, final ModelmonConfig config)
      throws ExecutionException, InterruptedException {
    if (!admin.listTopics().names().get().contains(config.referencesTopic())) {
      createAll(admin, List.of(referencesTopic(config)));
    }
  }

  /**
   * How long a reference record stays on the topic after a later one of its key, at least ({@code
   * min.compaction.lag.ms} of a references topic modelmon creates): how far back a replay on wiped
   * state finds the references each event had.
   */
  public static final Duration REFERENCE_HISTORY_ON_TOPIC = Duration.ofDays(7);

  // Compacted, so that the latest reference of each (model, version) key is kept for good, and
  // superseded ones for REFERENCE_HISTORY_ON_TOPIC. One partition is plenty: references are few,
  // and every instance reads them all into a global store.
  private static NewTopic referencesTopic(final ModelmonConfig config) {
    return new NewTopic(config.referencesTopic(), Optional.of(1), Optional.empty())
        .configs(
            Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                Long.toString(REFERENCE_HISTORY_ON_TOPIC.toMillis())));
  }

  /** Creates each topic; one that another client created in the meantime is fine. */
  private static void createAll(final Admin admin, final List<NewTopic> topics)
      throws ExecutionException, InterruptedException {
    for (final NewTopic topic : topics) {
      try {
        admin.createTopics(List.of(topic)).all().get();
        LOG.atInfo()
            .addKeyValue("topic", topic.name())
            .addKeyValue("partitions", topic.numPartitions())
            .log("Created topic");
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }
}
