package org.modelmon.topology;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.reference.InvalidReferenceException;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceHistory;
import org.modelmon.reference.ReferenceParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global references store in step with the compacted references topic, as a history
 * by record timestamp ({@link ReferenceHistory}): a valid record is in force from its timestamp
 * on, a tombstone ends the reference from its timestamp on, an invalid record is logged, counted
 * and ignored so that the previous reference stays in force.
 *
 * <p>Kafka Streams runs this processor over the topic also when it restores the store at start
 * (from the checkpointed offset after a clean shutdown, from the beginning otherwise). Two things
 * follow from keeping accepted references in the store, which is persistent, instead of re-deriving
 * the store from the topic:
 *
 * <ul>
 *   <li>Compaction keeps only the latest record of a key. When that is an invalid record, the
 *       valid one before it is gone from the topic but not from the store, so it stays in force
 *       across restarts. Only an instance whose state directory is lost rebuilds from what the
 *       topic still holds; {@code min.compaction.lag.ms} on the topic bounds how soon the valid
 *       record can go.
 *   <li>The store also keeps the next offset it has not applied. A record below it is one this
 *       store has applied before — re-read after an unclean shutdown — and is applied again
 *       (idempotently) but not counted or logged as new, so a restart never counts an invalid
 *       reference twice. An invalid record written while modelmon was down is counted once.
 * </ul>
 */
final class ReferenceUpdater implements Processor<String, byte[], Void, Void> {

  private static final Logger LOG = LoggerFactory.getLogger(ReferenceUpdater.class);

  private final ReferenceParser parser;
  private final ModelmonMetrics metrics;
  private final ReferenceGeneration generation;
  private ProcessorContext<Void, Void> context;
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
    this.context = context;
    store = context.getStateStore(ModelmonTopology.REFERENCES_STORE);
  }

  @Override
  public void process(final Record<String, byte[]> record) {
    final Optional<RecordMetadata> metadata = context.recordMetadata();
    final String offsetKey =
        metadata.map(m -> ReferenceHistory.offsetKey(m.topic(), m.partition())).orElse(null);
    final long offset = metadata.map(RecordMetadata::offset).orElse(-1L);
    final boolean applied = offsetKey != null && offset >= 0 && offset < nextOffset(offsetKey);
    apply(record, applied);
    if (offsetKey != null && offset >= 0 && !applied) {
      store.put(offsetKey, ReferenceHistory.encodeOffset(offset + 1));
    }
  }

  private long nextOffset(final String offsetKey) {
    final byte[] stored = store.get(offsetKey);
    return stored == null ? 0 : ReferenceHistory.decodeOffset(stored);
  }

  private void apply(final Record<String, byte[]> record, final boolean appliedBefore) {
    final String key = record.key();
    if (key == null) {
      reject("(none)", "record has no key", appliedBefore);
      return;
    }
    final Instant from = Instant.ofEpochMilli(Math.max(0, record.timestamp()));
    if (record.value() == null) {
      if (ReferenceHistory.entries(store, key).isEmpty()) {
        return; // nothing to end
      }
      store.put(ReferenceHistory.entryKey(key, record.timestamp()), ReferenceHistory.ended());
      prune(key);
      generation.advance();
      if (!appliedBefore) {
        LOG.atInfo().addKeyValue("key", key).addKeyValue("from", from).log("Reference deleted");
      }
      return;
    }
    try {
      parser.parse(key, record.value());
    } catch (InvalidReferenceException e) {
      reject(key, e.getMessage(), appliedBefore);
      return;
    }
    store.put(ReferenceHistory.entryKey(key, record.timestamp()), record.value());
    prune(key);
    generation.advance();
    if (!appliedBefore) {
      LOG.atInfo().addKeyValue("key", key).addKeyValue("from", from).log("Reference updated");
    }
  }

  /**
   * Drops what no lookup within {@link ReferenceHistory#RETENTION} of the key's newest entry can
   * find: entries superseded before that horizon, and a leading end with nothing to end.
   */
  private void prune(final String key) {
    final List<KeyValue<String, byte[]>> entries = ReferenceHistory.entries(store, key);
    final long horizon =
        ReferenceHistory.fromMillis(entries.get(entries.size() - 1).key)
            - ReferenceHistory.RETENTION.toMillis();
    int first = 0;
    for (int i = 1; i < entries.size(); i++) {
      if (ReferenceHistory.fromMillis(entries.get(i).key) <= horizon) {
        first = i;
      }
    }
    while (first < entries.size() - 1 && ReferenceHistory.isEnded(entries.get(first).value)) {
      first++;
    }
    for (int i = 0; i < first; i++) {
      store.delete(entries.get(i).key);
    }
  }

  private void reject(final String key, final String reason, final boolean appliedBefore) {
    if (appliedBefore) {
      LOG.atDebug().addKeyValue("key", key).log("Invalid reference read again; counted before");
      return;
    }
    metrics.invalidReference();
    LOG.atWarn()
        .addKeyValue("key", key)
        .addKeyValue("reason", reason)
        .log("Ignoring invalid reference; the previous one stays in force");
  }
}
