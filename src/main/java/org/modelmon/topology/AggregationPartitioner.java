package org.modelmon.topology;

import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.WindowSerdes;

/**
 * Routes the aggregation topic: a partial goes to the partition that owns its (model, version);
 * a watermark goes to every partition, since every combining task must know every input
 * partition's stream time (KIP-837 multicast).
 */
final class AggregationPartitioner implements StreamPartitioner<ModelKey, AggregationMessage> {

  private static final Serializer<ModelKey> KEY_SERIALIZER = WindowSerdes.modelKey().serializer();

  @Override
  public Optional<Set<Integer>> partitions(
      final String topic,
      final ModelKey key,
      final AggregationMessage message,
      final int numPartitions) {
    if (message instanceof AggregationMessage.Watermark) {
      return Optional.of(
          IntStream.range(0, numPartitions).boxed().collect(Collectors.toUnmodifiableSet()));
    }
    return Optional.of(Set.of(partitionOf(key, numPartitions)));
  }

  /** The partition owning {@code key}'s windows; interactive queries use the same function. */
  static int partitionOf(final ModelKey key, final int numPartitions) {
    final byte[] bytes = KEY_SERIALIZER.serialize(null, key);
    return Utils.toPositive(Utils.murmur2(bytes)) % numPartitions;
  }
}
