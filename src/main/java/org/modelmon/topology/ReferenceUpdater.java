package org.modelmon.topology;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.reference.InvalidReferenceException;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global references store in step with the compacted references topic: a valid record
 * replaces the stored one, a tombstone deletes it, an invalid one is logged, counted and ignored
 * so that the previous reference stays in force.
 */
final class ReferenceUpdater implements Processor<String, byte[], Void, Void> {

  private static final Logger LOG = LoggerFactory.getLogger(ReferenceUpdater.class);

  private final ReferenceParser parser;
  private final ModelmonMetrics metrics;
  private final ReferenceGeneration generation;
  private KeyValueStore<String, byte[]> store;

  ReferenceUpdater(
      final ReferenceParser parser,
      final ReferenceGeneration generation,
      final ModelmonMetrics metrics) {
    this.parser = parser;
    this.generation = generation;
    this.metrics = metrics;
  }

  @Override
  public void init(final ProcessorContext<Void, Void> context) {
    store = context.getStateStore(ModelmonTopology.REFERENCES_STORE);
  }

  @Override
  public void process(final Record<String, byte[]> record) {
    final String key = record.key();
    if (key == null) {
      reject("(none)", "record has no key");
      return;
    }
    if (record.value() == null) {
      store.delete(key);
      generation.advance();
      LOG.atInfo().addKeyValue("key", key).log("Reference deleted");
      return;
    }
    try {
      parser.parse(key, record.value());
    } catch (InvalidReferenceException e) {
      reject(key, e.getMessage());
      return;
    }
    store.put(key, record.value());
    generation.advance();
    LOG.atInfo().addKeyValue("key", key).log("Reference updated");
  }

  private void reject(final String key, final String reason) {
    metrics.invalidReference();
    LOG.atWarn()
        .addKeyValue("key", key)
        .addKeyValue("reason", reason)
        .log("Ignoring invalid reference; the previous one stays in force");
  }
}
