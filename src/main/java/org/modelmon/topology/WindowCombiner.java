package org.modelmon.topology;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.config.WindowSpec;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WatermarkGauge;
import org.modelmon.reference.ReferenceCache;
import org.modelmon.reference.ReferenceGeneration;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.window.AggregationMessage;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.OpenWindowKey;
import org.modelmon.window.WatermarkTracker;
import org.modelmon.window.WatermarkTracker.PartitionWatermark;
import org.modelmon.window.WindowAggregate;
import org.modelmon.window.WindowResult;
import org.modelmon.window.WindowSerdes;

/**
 * Step 4: adds the partials of every input partition into event-time tumbling windows and emits
 * each window once, when the application watermark has passed its end plus grace.
 *
 * <p>The watermark is tracked here from the watermark messages of all input partitions (see {@link
 * WatermarkTracker}) rather than from Kafka Streams' task stream time, which would let the fastest
 * partition make a lagging one's events late. The watermark only moves forward; a partial for a
 * window that is already final is counted late and left out of that window.
 *
 * <p>Open windows and model summaries live in working maps, so that adding a partial reads no
 * stored value back, and every change is written through to their changelogged stores, which is
 * what a commit makes durable (see {@link PartialAggregator}).
 */
final class WindowCombiner implements Processor<ModelKey, AggregationMessage, String, FinalWindow> {

  /** Key under which the application watermark itself is kept in the watermarks store. */
  static final int APPLICATION_WATERMARK_KEY = -1;

  private final List<WindowSpec> windows;
  private final long graceMillis;
  private final long idleCloseMillis;
  private final long reportTimeoutMillis;
  private final int inputPartitions;
  private final int maxClasses;
  private final int calibrationBins;
  private final double epsilon;
  private final Duration checkInterval;
  private final ReferenceParser referenceParser;
  private final ReferenceGeneration referenceGeneration;
  private final ModelmonMetrics metrics;
  private final WatermarkGauge watermarkGauge;
  // Working copies of the open-windows and models stores; open windows in the store's order.
  private final NavigableMap<OpenWindowKey, WindowAggregate> openWindows =
      new TreeMap<>(OpenWindowKey.BINARY_ORDER);
  private final Map<ModelKey, ModelSummary> models = new HashMap<>();

  private ProcessorContext<String, FinalWindow> context;
  private KeyValueStore<OpenWindowKey, WindowAggregate> openWindowsStore;
  private KeyValueStore<Integer, PartitionWatermark> watermarks;
  private KeyValueStore<String, byte[]> latestWindows;
  private WindowStore<String, byte[]> windowHistory;
  private KeyValueStore<ModelKey, ModelSummary> modelsStore;
  private ReferenceCache references;
  private WatermarkTracker tracker;
  private long applicationWatermark = WatermarkTracker.NONE;

  /**
   * @param config windows, grace, idle close, class and bin bounds, epsilon
   * @param reportTimeout silence after which a partition's task is taken as not running
   * @param inputPartitions the partitions whose reports make the watermark: 2N, the N predictions
   *     partitions' pre-aggregating tasks, then the N joining tasks
   * @param checkInterval how often the watermark is checked against the wall clock
   */
  WindowCombiner(
      final ModelmonConfig config,
      final Duration reportTimeout,
      final int inputPartitions,
      final Duration checkInterval,
      final ReferenceParser referenceParser,
      final ReferenceGeneration referenceGeneration,
      final ModelmonMetrics metrics,
      final WatermarkGauge watermarkGauge) {
    this.windows = config.windows();
    this.graceMillis = config.grace().toMillis();
    this.idleCloseMillis = config.idleClose().toMillis();
    this.reportTimeoutMillis = reportTimeout.toMillis();
    this.inputPartitions = inputPartitions;
    this.maxClasses = config.maxClasses();
    this.calibrationBins = config.calibrationBins();
    this.epsilon = config.epsilon();
    this.checkInterval = checkInterval;
    this.referenceParser = referenceParser;
    this.referenceGeneration = referenceGeneration;
    this.metrics = metrics;
    this.watermarkGauge = watermarkGauge;
  }

  @Override
  public void init(final ProcessorContext<String, FinalWindow> context) {
    this.context = context;
    openWindowsStore = context.getStateStore(ModelmonTopology.OPEN_WINDOWS_STORE);
    watermarks = context.getStateStore(ModelmonTopology.WATERMARKS_STORE);
    latestWindows = context.getStateStore(ModelmonTopology.LATEST_WINDOWS_STORE);
    windowHistory = context.getStateStore(ModelmonTopology.WINDOW_HISTORY_STORE);
    modelsStore = context.getStateStore(ModelmonTopology.MODELS_STORE);
    final ReadOnlyKeyValueStore<String, byte[]> referenceStore =
        context.getStateStore(ModelmonTopology.REFERENCES_STORE);
    references = new ReferenceCache(referenceStore, referenceParser, referenceGeneration);
    // The join's partitions (N and up) report a watermark that leaves out idle input partitions
    // already, held back while a label waits for its prediction: they are never idle here.
    tracker =
        new WatermarkTracker(
            inputPartitions,
            inputPartitions / 2,
            inputPartitions / 2,
            idleCloseMillis,
            reportTimeoutMillis,
            context.currentSystemTimeMs());
    // A revived task initialises this same instance again (see PartialAggregator.init): the
    // watermark of an aborted transaction must not outlive it, or redone partials count as late,
    // nor must its sums, or they count twice.
    applicationWatermark = WatermarkTracker.NONE;
    load(openWindowsStore, openWindows);
    load(modelsStore, models);
    try (KeyValueIterator<Integer, PartitionWatermark> restored = watermarks.all()) {
      while (restored.hasNext()) {
        final KeyValue<Integer, PartitionWatermark> entry = restored.next();
        if (entry.key == APPLICATION_WATERMARK_KEY) {
          applicationWatermark = entry.value.streamTimeMillis();
        } else {
          tracker.restore(entry.key, entry.value);
        }
      }
    }
    watermarkGauge.update(context.taskId(), applicationWatermark);
    context.schedule(checkInterval, PunctuationType.WALL_CLOCK_TIME, this::emitFinalWindows);
  }

  private static <K, V> void load(final KeyValueStore<K, V> store, final Map<K, V> copy) {
    copy.clear();
    try (KeyValueIterator<K, V> restored = store.all()) {
      restored.forEachRemaining(entry -> copy.put(entry.key, entry.value));
    }
  }

  @Override
  public void process(final Record<ModelKey, AggregationMessage> record) {
    final long now = context.currentSystemTimeMs();
    if (record.value() instanceof AggregationMessage.Watermark watermark) {
      final PartitionWatermark advanced =
          tracker.report(
              watermark.sourcePartition(), watermark.streamTimeMillis(), record.timestamp(), now);
      if (advanced != null) {
        watermarks.put(watermark.sourcePartition(), advanced);
        emitFinalWindows(now);
      }
    } else if (record.value() instanceof AggregationMessage.Partial partial) {
      addPartial(record.key(), partial);
    }
  }

  private void addPartial(final ModelKey key, final AggregationMessage.Partial partial) {
    final WindowAggregate sums = partial.aggregate();
    final ModelSummary summary =
        models.getOrDefault(key, new ModelSummary(Long.MIN_VALUE, 0)).plus(sums);
    models.put(key, summary);
    modelsStore.put(key, summary);
    boolean late = false;
    for (final WindowSpec window : windows) {
      final long size = window.sizeMillis();
      final long start = Math.floorDiv(partial.bucketStartMillis(), size) * size;
      final long end = start + size;
      if (isFinal(end)) {
        late = true;
        continue;
      }
      final OpenWindowKey windowKey = new OpenWindowKey(end, size, key.model(), key.version());
      final WindowAggregate combined =
          openWindows.computeIfAbsent(
              windowKey, k -> new WindowAggregate(maxClasses, calibrationBins));
      combined.add(sums);
      openWindowsStore.put(windowKey, combined);
    }
    if (late) {
      // A partial of the join's outcome sides has labels but no predictions: those are what is
      // late.
      metrics.lateEvents(key, sums.count() > 0 ? sums.count() : sums.labelled());
    }
  }

  private boolean isFinal(final long windowEndMillis) {
    return applicationWatermark != WatermarkTracker.NONE
        && windowEndMillis + graceMillis <= applicationWatermark;
  }

  private void emitFinalWindows(final long now) {
    final long watermark = tracker.watermark(now);
    if (watermark == WatermarkTracker.NONE || watermark <= applicationWatermark) {
      return;
    }
    applicationWatermark = watermark;
    watermarks.put(APPLICATION_WATERMARK_KEY, new PartitionWatermark(watermark, now));
    watermarkGauge.update(context.taskId(), watermark);

    // Ordered by end: the first window still open is followed only by open ones.
    while (!openWindows.isEmpty() && isFinal(openWindows.firstKey().endMillis())) {
      final Map.Entry<OpenWindowKey, WindowAggregate> window = openWindows.pollFirstEntry();
      emit(window.getKey(), window.getValue());
      openWindowsStore.delete(window.getKey());
    }
  }

  private void emit(final OpenWindowKey key, final WindowAggregate sums) {
    final String label = labelOf(key.sizeMillis());
    // The reference in force at the window's last millisecond, by record timestamp — not the
    // newest one when the window happens to close — so that a replay emits the same record.
    final WindowResult result =
        WindowResult.of(
            key,
            label,
            sums,
            references.find(key.model(), key.version(), key.endMillis() - 1),
            epsilon);
    final byte[] json = WindowSerdes.windowResultJson(result);
    final String seriesKey = ModelmonTopology.seriesKey(key.model(), key.version(), label);
    latestWindows.put(seriesKey, json);
    windowHistory.put(seriesKey, json, key.startMillis());
    // The end of a window of events ahead of the clock may be further ahead than the broker
    // accepts a record timestamp (message.timestamp.after.max.ms).
    context.forward(
        new Record<>(
            result.topicKey(),
            new FinalWindow(key, sums, result, json),
            Math.min(key.endMillis(), context.currentSystemTimeMs())));
  }

  private String labelOf(final long sizeMillis) {
    for (final WindowSpec window : windows) {
      if (window.sizeMillis() == sizeMillis) {
        return window.label();
      }
    }
    throw new IllegalStateException("no configured window of " + sizeMillis + " ms");
  }

  @Override
  public void close() {
    watermarkGauge.remove(context.taskId());
  }
}
