package org.modelmon.topology;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.modelmon.join.JoinMessage;

/**
 * Routes the join topic: a prediction and a label go to the partition of their (model, id), so that
 * they meet; a stream time goes to every partition, since every joining task must know every input
 * partition's stream time (KIP-837 multicast).
 */
final class JoinPartitioner implements StreamPartitioner<String, JoinMessage> {

  @Override
  public Optional<Set<Integer>> partitions(
      final String topic, final String key, final JoinMessage message, final int numPartitions) {
    if (message instanceof JoinMessage.StreamTime) {
      return Optional.of(
          IntStream.range(0, numPartitions).boxed().collect(Collectors.toUnmodifiableSet()));
    }
    final byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(bytes)) % numPartitions));
  }
}
