package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.modelmon.TestConfigs;
import org.modelmon.event.InvalidReason;

/**
 * Hostile and broken input never stops the stream and never vanishes: every record is either
 * scored or sent to the dead-letter topic byte-identical with a reason, and the counters add up.
 */
class HostileInputProperties {

  private static final String[] NON_FINITE = {
    "NaN", "-NaN", "+NaN", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "1e999999",
    "-1e999999", "\"NaN\"", "\"Infinity\""
  };

  private TopologyFixture fixture;

  @BeforeTry
  void startDriver() {
    fixture =
        new TopologyFixture(
            TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(1)));
  }

  @AfterTry
  void closeDriver() {
    fixture.close();
  }

  @Property(tries = 40)
  void shouldScoreOrDeadLetterEveryRecordByteIdentical(
      @ForAll("hostileBatches") final List<byte[]> batch) {
    for (final byte[] value : batch) {
      final double scoredBefore = total("modelmon_predictions");
      final RecordHeaders headers = new RecordHeaders();
      headers.add("probe", value.length > 16 ? new byte[] {1, 2, 3} : value);
      fixture.predictions.pipeInput(
          new TestRecord<>(null, value, headers, TopologyFixture.WALL_CLOCK_START));
      final List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
      final double scored = total("modelmon_predictions") - scoredBefore;
      if (deadLetters.isEmpty()) {
        assertThat(scored).as("neither scored nor dead-lettered").isEqualTo(1.0);
      } else {
        assertThat(scored).as("scored and dead-lettered").isZero();
        assertThat(deadLetters).hasSize(1);
        assertThat(deadLetters.get(0).value()).isEqualTo(value);
        assertThat(deadLetters.get(0).headers().lastHeader("probe")).isNotNull();
        final String reason =
            new String(
                deadLetters.get(0).headers().lastHeader("modelmon.error.reason").value(),
                StandardCharsets.UTF_8);
        assertThat(InvalidReason.valueOf(reason)).isNotNull();
      }
    }
    // Input = scored + dead letters, by the counters.
    assertThat(total("modelmon_predictions") + total("modelmon_invalid_events"))
        .isEqualTo(batch.size());
    // And the stream is still alive.
    fixture.send(
        "{\"model\": \"sentinel\", \"probabilities\": [0.5, 0.5], \"label\": 1, \"timestamp\": "
            + TopologyFixture.EVENT_TIME_ORIGIN.toEpochMilli() + "}");
    assertThat(total("modelmon_predictions") + total("modelmon_invalid_events"))
        .isEqualTo(batch.size() + 1);
  }

  private double total(final String counter) {
    fixture.awaitCounters();
    double sum = 0;
    for (final MetricSnapshot snapshot : fixture.registry.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(counter)
          && snapshot instanceof CounterSnapshot counters) {
        for (final CounterSnapshot.CounterDataPointSnapshot point : counters.getDataPoints()) {
          sum += point.getValue();
        }
      }
    }
    return sum;
  }

  @Provide
  Arbitrary<List<byte[]>> hostileBatches() {
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, validEvents().map(HostileInputProperties::utf8)),
            net.jqwik.api.Tuple.of(6, mutatedEvents().map(HostileInputProperties::utf8)),
            net.jqwik.api.Tuple.of(2, Arbitraries.bytes().array(byte[].class).ofMaxSize(200)),
            net.jqwik.api.Tuple.of(1, deepNesting()),
            net.jqwik.api.Tuple.of(1, nonFinite().map(HostileInputProperties::utf8)),
            net.jqwik.api.Tuple.of(1, duplicateKeys().map(HostileInputProperties::utf8)),
            net.jqwik.api.Tuple.of(1, otherEncodings()),
            net.jqwik.api.Tuple.of(1, hugePayloads()))
        .list()
        .ofMinSize(1)
        .ofMaxSize(25);
  }

  private static byte[] utf8(final String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static Arbitrary<String> validEvents() {
    final Arbitrary<Integer> classes = Arbitraries.integers().between(2, 6);
    return classes.flatMap(
        k ->
            Combinators.combine(
                    Arbitraries.of("churn", "fraud", "digits", "a.b:c/d-e_f"),
                    Arbitraries.of("", "v1", "2.0"),
                    Arbitraries.doubles().between(0.01, 1.0).list().ofSize(k),
                    Arbitraries.integers().between(0, k - 1),
                    Arbitraries.integers().between(0, 599_000))
                .as(
                    (model, version, weights, label, offset) -> {
                      final double total = weights.stream().mapToDouble(Double::doubleValue).sum();
                      final StringBuilder probabilities = new StringBuilder();
                      for (int c = 0; c < k; c++) {
                        probabilities.append(c == 0 ? "" : ",").append(weights.get(c) / total);
                      }
                      return String.format(
                          Locale.ROOT,
                          "{\"model\":\"%s\",\"version\":\"%s\",\"timestamp\":%d,"
                              + "\"probabilities\":[%s],\"label\":%d}",
                          model,
                          version,
                          TopologyFixture.EVENT_TIME_ORIGIN.toEpochMilli() + offset,
                          probabilities,
                          label);
                    }));
  }

  /** A valid event with one field's value replaced by something else. */
  private static Arbitrary<String> mutatedEvents() {
    final Arbitrary<String> replacement =
        Arbitraries.oneOf(
            Arbitraries.of(
                "null", "true", "{}", "[]", "\"\"", "-1", "1e308", "1.5", "[null]", "{\"x\":1}",
                "\"\\u0000\"", "\"" + "x".repeat(200) + "\"", "[0.5,\"0.5\"]", "\"2026-13-45T99:99:99Z\""),
            Arbitraries.of(NON_FINITE),
            Arbitraries.strings().ofMaxLength(20).map(s -> "\"" + s.replace("\\", "").replace("\"", "") + "\""));
    final Arbitrary<String> field =
        Arbitraries.of("model", "version", "timestamp", "probabilities", "label", "id", "classes", "score");
    return Combinators.combine(validEvents(), field, replacement)
        .as(
            (event, name, value) -> {
              final String marker = "\"" + name + "\":";
              final int at = event.indexOf(marker);
              if (at < 0) {
                return event.substring(0, event.length() - 1) + "," + marker + value + "}";
              }
              final int start = at + marker.length();
              int end = start;
              int depth = 0;
              while (end < event.length()) {
                final char c = event.charAt(end);
                if (c == '[' || c == '{') {
                  depth++;
                } else if (c == ']' || c == '}') {
                  if (depth == 0) {
                    break;
                  }
                  depth--;
                } else if (c == ',' && depth == 0) {
                  break;
                }
                end++;
              }
              return event.substring(0, start) + value + event.substring(end);
            });
  }

  private static Arbitrary<byte[]> deepNesting() {
    return Arbitraries.integers()
        .between(100, 6000)
        .map(depth -> utf8("{\"model\":\"m\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}"));
  }

  private static Arbitrary<String> nonFinite() {
    return Arbitraries.of(NON_FINITE)
        .map(v -> "{\"model\":\"m\",\"probabilities\":[" + v + ",0.5],\"label\":0}");
  }

  private static Arbitrary<String> duplicateKeys() {
    return Arbitraries.of(
        "{\"model\":\"m\",\"model\":\"n\",\"probabilities\":[0.5,0.5],\"label\":0}",
        "{\"model\":\"m\",\"probabilities\":{\"a\":0.5,\"a\":0.5},\"label\":\"a\"}",
        "{\"model\":\"m\",\"probabilities\":[0.5,0.5],\"label\":0,\"label\":1}");
  }

  private static Arbitrary<byte[]> otherEncodings() {
    return validEvents()
        .flatMap(
            event ->
                Arbitraries.of(
                    event.getBytes(StandardCharsets.UTF_16),
                    event.getBytes(StandardCharsets.UTF_16LE),
                    event.getBytes(StandardCharsets.UTF_16BE),
                    concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8(event)),
                    event.getBytes(java.nio.charset.Charset.forName("UTF-32"))));
  }

  private static Arbitrary<byte[]> hugePayloads() {
    return validEvents()
        .map(
            event ->
                utf8(
                    event.substring(0, event.length() - 1)
                        + ",\"padding\":\""
                        + "p".repeat(1 << 20)
                        + "\"}"));
  }

  private static byte[] concat(final byte[] a, final byte[] b) {
    final byte[] joined = new byte[a.length + b.length];
    System.arraycopy(a, 0, joined, 0, a.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }
}
