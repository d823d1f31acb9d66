package org.modelmon.http;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.modelmon.detector.AlarmStatus;
import org.modelmon.detector.DetectorSettings;
import org.modelmon.detector.DetectorStatus;
import org.modelmon.metrics.LocalModelState;
import org.modelmon.reference.Reference;
import org.modelmon.reference.ReferenceHistory;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.topology.ModelmonTopology;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.WindowResult;
import org.modelmon.window.WindowSerdes;

/**
 * Read access to the state stores of this instance's active tasks (interactive queries), for the
 * metrics collector and the HTTP API. While the stores are unavailable (starting, rebalancing) it
 * answers as if empty, or throws {@link NotReadyException} where emptiness would mislead.
 */
public final class StateQueries implements LocalModelState, ModelQueries {

  private final Supplier<KafkaStreams> streams;
  private final ReferenceParser referenceParser;
  private final DetectorSettings detector;

  /**
   * @param streams the running Kafka Streams client, or null before it exists
   * @param referenceParser parses stored references
   * @param detector the drift detector's settings
   */
  public StateQueries(
      final Supplier<KafkaStreams> streams,
      final ReferenceParser referenceParser,
      final DetectorSettings detector) {
    this.streams = streams;
    this.referenceParser = referenceParser;
    this.detector = detector;
  }

  private <T> T store(final String name, final QueryableStoreType<T> type) {
    final KafkaStreams current = streams.get();
    if (current == null) {
      throw new NotReadyException("the stream has not started yet");
    }
    try {
      return current.store(StoreQueryParameters.fromNameAndType(name, type));
    } catch (InvalidStateStoreException e) {
      throw new NotReadyException("state stores are not queryable yet: " + current.state());
    }
  }

  @Override
  public List<WindowResult> latestWindows() {
    try {
      final List<WindowResult> windows = new ArrayList<>();
      final ReadOnlyKeyValueStore<String, byte[]> store =
          store(ModelmonTopology.LATEST_WINDOWS_STORE, QueryableStoreTypes.keyValueStore());
      try (KeyValueIterator<String, byte[]> all = store.all()) {
        all.forEachRemaining(entry -> windows.add(WindowSerdes.windowResultFromJson(entry.value)));
      }
      return windows;
    } catch (NotReadyException | InvalidStateStoreException e) {
      return List.of();
    }
  }

  @Override
  public Map<ModelKey, ModelSummary> models() {
    try {
      return modelsOrThrow();
    } catch (NotReadyException e) {
      return Map.of();
    }
  }

  @Override
  public Map<ModelKey, ModelSummary> modelsOrThrow() {
    try {
      final Map<ModelKey, ModelSummary> models = new LinkedHashMap<>();
      final ReadOnlyKeyValueStore<ModelKey, ModelSummary> store =
          store(ModelmonTopology.MODELS_STORE, QueryableStoreTypes.keyValueStore());
      try (KeyValueIterator<ModelKey, ModelSummary> all = store.all()) {
        while (all.hasNext()) {
          final KeyValue<ModelKey, ModelSummary> entry = all.next();
          models.put(entry.key, entry.value);
        }
      }
      return models;
    } catch (InvalidStateStoreException e) {
      throw new NotReadyException("state stores are not queryable: " + e.getMessage());
    }
  }

  @Override
  public List<WindowResult> windows(
      final ModelKey key,
      final String window,
      final Instant from,
      final Instant to,
      final int limit) {
    try {
      final ReadOnlyWindowStore<String, byte[]> store =
          store(ModelmonTopology.WINDOW_HISTORY_STORE, QueryableStoreTypes.windowStore());
      final List<WindowResult> results = new ArrayList<>();
      final String seriesKey = ModelmonTopology.seriesKey(key.model(), key.version(), window);
      try (WindowStoreIterator<byte[]> found = store.fetch(seriesKey, from, to)) {
        while (found.hasNext() && results.size() < limit) {
          results.add(WindowSerdes.windowResultFromJson(found.next().value));
        }
      }
      return results;
    } catch (InvalidStateStoreException e) {
      throw new NotReadyException("state stores are not queryable: " + e.getMessage());
    }
  }

  @Override
  public Map<ModelKey, DetectorStatus> detectorStatuses() {
    try {
      return detectorStatusesOrThrow();
    } catch (NotReadyException e) {
      return Map.of();
    }
  }

  @Override
  public List<AlarmStatus> alarmsOrThrow() {
    final List<AlarmStatus> alarms = new ArrayList<>();
    detectorStatusesOrThrow()
        .forEach((key, status) -> alarms.add(AlarmStatus.of(key, status, detector)));
    return alarms;
  }

  private Map<ModelKey, DetectorStatus> detectorStatusesOrThrow() {
    try {
      final Map<ModelKey, DetectorStatus> statuses = new LinkedHashMap<>();
      final ReadOnlyKeyValueStore<ModelKey, DetectorStatus> store =
          store(ModelmonTopology.DETECTOR_STORE, QueryableStoreTypes.keyValueStore());
      try (KeyValueIterator<ModelKey, DetectorStatus> all = store.all()) {
        while (all.hasNext()) {
          final KeyValue<ModelKey, DetectorStatus> entry = all.next();
          statuses.put(entry.key, entry.value);
        }
      }
      return statuses;
    } catch (InvalidStateStoreException e) {
      throw new NotReadyException("state stores are not queryable: " + e.getMessage());
    }
  }

  @Override
  public Reference reference(final ModelKey key) {
    try {
      final ReadOnlyKeyValueStore<String, byte[]> store =
          store(ModelmonTopology.REFERENCES_STORE, QueryableStoreTypes.keyValueStore());
      return ReferenceHistory.inForce(
          store, referenceParser, key.model(), key.version(), System.currentTimeMillis());
    } catch (NotReadyException | InvalidStateStoreException e) {
      return null;
    }
  }
}
