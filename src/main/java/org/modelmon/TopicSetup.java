package org.modelmon;

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
import org.modelmon.config.ModelmonConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates modelmon's topics when they are missing, and reads how many partitions the predictions
 * topic has. Existing topics are left as they are.
 */
final class TopicSetup {

  /** Partitions of a predictions topic modelmon creates: room for a few instances. */
  static final int PREDICTIONS_PARTITIONS = 4;

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /**
   * Ensures every topic exists.
   *
   * @return the number of partitions of the predictions topic
   */
  static int ensureTopics(final Admin admin, final ModelmonConfig config)
      throws ExecutionException, InterruptedException {
    final Set<String> existing = admin.listTopics().names().get();
    final List<NewTopic> missing = new ArrayList<>();
    if (!existing.contains(config.predictionsTopic())) {
      missing.add(new NewTopic(config.predictionsTopic(), Optional.of(PREDICTIONS_PARTITIONS), Optional.empty()));
    }
    if (!existing.contains(config.dlqTopic())) {
      missing.add(new NewTopic(config.dlqTopic(), Optional.of(1), Optional.empty()));
    }
    if (!existing.contains(config.windowsTopic())) {
      missing.add(new NewTopic(config.windowsTopic(), Optional.of(1), Optional.empty()));
    }
    if (!existing.contains(config.referencesTopic())) {
      missing.add(
          new NewTopic(config.referencesTopic(), Optional.of(1), Optional.empty())
              .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    }
    for (final NewTopic topic : missing) {
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
    final TopicDescription predictions =
        admin.describeTopics(List.of(config.predictionsTopic()))
            .allTopicNames()
            .get()
            .get(config.predictionsTopic());
    return predictions.partitions().size();
  }
}
