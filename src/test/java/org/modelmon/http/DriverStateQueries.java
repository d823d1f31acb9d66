package org.modelmon.http;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
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
 * The test-side twin of {@link StateQueries}: reads the stores of a {@link TopologyTestDriver}
 * where a live instance reads its own through interactive queries, and can be told to be not ready,
 * as during a rebalance.
 *
 * <p>The HTTP server calls it from its own threads while the test thread waits for the answer, so
 * the driver is never written to while it is read.
 */
public final class DriverStateQueries implements LocalModelState, ModelQueries {

  private final KeyValueStore<String, byte[]> latestWindows;
  private final KeyValueStore<ModelKey, ModelSummary> models;
  private final WindowStore<String, byte[]> history;
  private final KeyValueStore<String, byte[]> references;
  private final KeyValueStore<ModelKey, DetectorStatus> detector;
  private final DetectorSettings detectorSettings;
  private final ReferenceParser referenceParser;
  private volatile boolean ready = true;

  public DriverStateQueries(
      final TopologyTestDriver driver,
      final ReferenceParser referenceParser,
      final DetectorSettings detectorSettings) {
    this.latestWindows = driver.getKeyValueStore(ModelmonTopology.LATEST_WINDOWS_STORE);
    this.models = driver.getKeyValueStore(ModelmonTopology.MODELS_STORE);
    this.history = driver.getWindowStore(ModelmonTopology.WINDOW_HISTORY_STORE);
    this.references = driver.getKeyValueStore(ModelmonTopology.REFERENCES_STORE);
    this.detector = driver.getKeyValueStore(ModelmonTopology.DETECTOR_STORE);
    this.detectorSettings = detectorSettings;
    this.referenceParser = referenceParser;
  }

  /** From now on the {@link ModelQueries} methods throw {@link NotReadyException} or not. */
  void ready(final boolean ready) {
    this.ready = ready;
  }

  @Override
  public List<WindowResult> latestWindows() {
    final List<WindowResult> windows = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> all = latestWindows.all()) {
      all.forEachRemaining(entry -> windows.add(WindowSerdes.windowResultFromJson(entry.value)));
    }
    return windows;
  }

  @Override
  public Map<ModelKey, ModelSummary> models() {
    final Map<ModelKey, ModelSummary> summaries = new LinkedHashMap<>();
    try (KeyValueIterator<ModelKey, ModelSummary> all = models.all()) {
      while (all.hasNext()) {
        final KeyValue<ModelKey, ModelSummary> entry = all.next();
        summaries.put(entry.key, entry.value);
      }
    }
    return summaries;
  }

  @Override
  public Map<ModelKey, DetectorStatus> detectorStatuses() {
    final Map<ModelKey, DetectorStatus> statuses = new LinkedHashMap<>();
    try (KeyValueIterator<ModelKey, DetectorStatus> all = detector.all()) {
      all.forEachRemaining(entry -> statuses.put(entry.key, entry.value));
    }
    return statuses;
  }

  @Override
  public List<AlarmStatus> alarmsOrThrow() {
    requireReady();
    final List<AlarmStatus> alarms = new ArrayList<>();
    detectorStatuses()
        .forEach((key, status) -> alarms.add(AlarmStatus.of(key, status, detectorSettings)));
    return alarms;
  }

  @Override
  public Map<ModelKey, ModelSummary> modelsOrThrow() {
    requireReady();
    return models();
  }

  @Override
  public List<WindowResult> windows(
      final ModelKey key,
      final String window,
      final Instant from,
      final Instant to,
      final int limit) {
    requireReady();
    final List<WindowResult> results = new ArrayList<>();
    final String seriesKey = ModelmonTopology.seriesKey(key.model(), key.version(), window);
    try (WindowStoreIterator<byte[]> found = history.fetch(seriesKey, from, to)) {
      while (found.hasNext() && results.size() < limit) {
        results.add(WindowSerdes.windowResultFromJson(found.next().value));
      }
    }
    return results;
  }

  @Override
  public Reference reference(final ModelKey key) {
    return ReferenceHistory.inForce(
        references, referenceParser, key.model(), key.version(), System.currentTimeMillis());
  }

  private void requireReady() {
    if (!ready) {
      throw new NotReadyException("state stores are not queryable yet: REBALANCING");
    }
  }
}
