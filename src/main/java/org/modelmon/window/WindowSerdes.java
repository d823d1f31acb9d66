package org.modelmon.window;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.modelmon.window.WatermarkTracker.PartitionWatermark;

/**
 * The one place serdes for modelmon's own types come from: compact binary forms for state stores
 * and the aggregation topic, JSON for window results (the windows topic and the API).
 */
public final class WindowSerdes {

  private static final ObjectMapper JSON = new ObjectMapper();

  private WindowSerdes() {}

  /** (model, version) keys. */
  public static Serde<ModelKey> modelKey() {
    return binary(WindowSerdes::modelKeyBytes, WindowSerdes::modelKeyFromBytes);
  }

  /**
   * Messages of the aggregation topic.
   *
   * @param maxClasses the bound of the partial aggregates read ({@code modelmon.max.classes})
   * @param calibrationBins {@code modelmon.calibration.bins}, for aggregates written without bins
   */
  public static Serde<AggregationMessage> aggregationMessage(
      final int maxClasses, final int calibrationBins) {
    return binary(
        AggregationMessage::toBytes,
        bytes -> AggregationMessage.fromBytes(bytes, maxClasses, calibrationBins));
  }

  /**
   * Partial or open-window sums.
   *
   * @param maxClasses the bound of the aggregates read ({@code modelmon.max.classes})
   * @param calibrationBins {@code modelmon.calibration.bins}, for aggregates written without bins
   */
  public static Serde<WindowAggregate> windowAggregate(
      final int maxClasses, final int calibrationBins) {
    return binary(
        WindowAggregate::toBytes,
        bytes -> WindowAggregate.fromBytes(bytes, maxClasses, calibrationBins));
  }

  /** Keys of open windows, ordered by window end. */
  public static Serde<OpenWindowKey> openWindowKey() {
    return binary(OpenWindowKey::toBytes, OpenWindowKey::fromBytes);
  }

  /** Per-input-partition watermarks. */
  public static Serde<PartitionWatermark> partitionWatermark() {
    return binary(
        watermark ->
            ByteBuffer.allocate(16)
                .putLong(watermark.streamTimeMillis())
                .putLong(watermark.advancedAtMillis())
                .array(),
        bytes -> {
          final ByteBuffer buffer = ByteBuffer.wrap(bytes);
          return new PartitionWatermark(buffer.getLong(), buffer.getLong());
        });
  }

  /** Per-(model, version) summaries. */
  public static Serde<ModelSummary> modelSummary() {
    return binary(ModelSummary::toBytes, ModelSummary::fromBytes);
  }

  /**
   * The JSON of a window result (docs/reference.md#window-records): the value of the windows topic
   * and of the latest-windows and window-history stores.
   */
  public static byte[] windowResultJson(final WindowResult result) {
    return json(result);
  }

  /** Reads a window result's JSON. */
  public static WindowResult windowResultFromJson(final byte[] json) {
    return fromJson(json, WindowResult.class);
  }

  /** The JSON of {@code value}, as Jackson writes it with modelmon's one mapper. */
  public static byte[] json(final Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads JSON written by {@link #json}. */
  public static <T> T fromJson(final byte[] json, final Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] modelKeyBytes(final ModelKey key) {
    final byte[] model = key.model().getBytes(StandardCharsets.UTF_8);
    final byte[] version = key.version().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + model.length + version.length)
        .putShort((short) model.length)
        .put(model)
        .put(version)
        .array();
  }

  private static ModelKey modelKeyFromBytes(final byte[] bytes) {
    final int modelLength = ByteBuffer.wrap(bytes).getShort();
    return new ModelKey(
        new String(bytes, 2, modelLength, StandardCharsets.UTF_8),
        new String(bytes, 2 + modelLength, bytes.length - 2 - modelLength, StandardCharsets.UTF_8));
  }

  /** A serde of {@code write} and {@code read}, null for null both ways. */
  public static <T> Serde<T> binary(
      final Function<T, byte[]> write, final Function<byte[], T> read) {
    final Serializer<T> serializer = (topic, value) -> value == null ? null : write.apply(value);
    final Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : read.apply(bytes);
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
