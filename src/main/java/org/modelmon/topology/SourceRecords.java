package org.modelmon.topology;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.modelmon.join.SourceRecord;

/** Between an input record as Kafka Streams hands it over and a {@link SourceRecord}. */
final class SourceRecords {

  private SourceRecords() {}

  /** The input record {@code record}, read from a source topic of {@code context}. */
  static SourceRecord of(
      final Record<byte[], byte[]> record, final ProcessorContext<?, ?> context) {
    final RecordMetadata metadata =
        context
            .recordMetadata()
            .orElseThrow(() -> new IllegalStateException("not processing an input record"));
    final List<SourceRecord.Header> headers = new ArrayList<>();
    for (final Header header : record.headers()) {
      headers.add(new SourceRecord.Header(header.key(), header.value()));
    }
    return new SourceRecord(
        record.key(),
        record.value(),
        headers,
        record.timestamp(),
        metadata.topic(),
        metadata.partition(),
        metadata.offset());
  }

  /** The headers of {@code source}, as Kafka headers to which more can be added. */
  static Headers headersOf(final SourceRecord source) {
    final Headers headers = new RecordHeaders();
    for (final SourceRecord.Header header : source.headers()) {
      headers.add(header.key(), header.value());
    }
    return headers;
  }
}
