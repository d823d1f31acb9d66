package org.modelmon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.modelmon.reference.InvalidReferenceException;
import org.modelmon.reference.Reference;
import org.modelmon.reference.ReferenceParser;

class ReferenceRecordTest {

  private final ReferenceParser parser = new ReferenceParser(1e-3, 1000);

  @Test
  void shouldWriteAModelWideReferenceWithoutVersion() {
    final ReferenceRecord record =
        new ReferenceRecord("churn", "", p("stay", "0.8", "leave", "0.2"));

    assertThat(record.key()).isEqualTo("churn");
    assertThat(new String(record.value(), UTF_8))
        .isEqualTo("{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
  }

  @Test
  void shouldWriteAVersionSpecificReference() {
    final ReferenceRecord record =
        new ReferenceRecord("churn", "v3", p("stay", "0.8", "leave", "0.2"));

    assertThat(record.key()).isEqualTo("churn@v3");
    assertThat(new String(record.value(), UTF_8))
        .isEqualTo(
            "{\"model\":\"churn\",\"version\":\"v3\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
  }

  @Test
  void shouldEscapeClassNamesAndKeepNonAsciiAsUtf8() {
    final ReferenceRecord record =
        new ReferenceRecord("m", "", p("say \"hi\"", "0.5", "naïve\\", "0.5"));

    assertThat(new String(record.value(), UTF_8))
        .isEqualTo("{\"model\":\"m\",\"distribution\":{\"say \\\"hi\\\"\":0.5,\"naïve\\\\\":0.5}}");
    assertThat(record.validate(parser).classes()).containsExactly("say \"hi\"", "naïve\\");
  }

  @Test
  void shouldValidateAsTheProcessorReadsIt() {
    final Reference reference =
        new ReferenceRecord("m", "v1", p("a", "0.3", "b", "0.3", "c", "0.4005")).validate(parser);

    assertThat(reference.model()).isEqualTo("m");
    assertThat(reference.version()).isEqualTo("v1");
    assertThat(reference.classes()).containsExactly("a", "b", "c");
    // Renormalised, as the processor will use it.
    assertThat(reference.probability(2)).isEqualTo(0.4005 / 1.0005);
  }

  @Test
  void shouldRefuseWhatTheProcessorWouldRefuse() {
    assertThatThrownBy(() -> new ReferenceRecord("m", "", p("a", "1")).validate(parser))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessage("distribution has 1 classes, fewer than 2");
    assertThatThrownBy(
            () -> new ReferenceRecord("m", "", p("a", "0.5", "b", "0.6")).validate(parser))
        .hasMessageContaining("sums to 1.1");
    assertThatThrownBy(
            () -> new ReferenceRecord("m", "", p("a", "1.5", "b", "-0.5")).validate(parser))
        .hasMessage("distribution entry 0 is not a finite number in [0, 1]");
    // Too large for a double: read as Infinity, exactly as from any other producer.
    assertThatThrownBy(
            () -> new ReferenceRecord("m", "", p("a", "1e400", "b", "0")).validate(parser))
        .hasMessage("distribution entry 0 is not a finite number in [0, 1]");
  }

  private static Map<String, BigDecimal> p(final String... namesAndNumbers) {
    final Map<String, BigDecimal> p = new LinkedHashMap<>();
    for (int i = 0; i < namesAndNumbers.length; i += 2) {
      p.put(namesAndNumbers[i], new BigDecimal(namesAndNumbers[i + 1]));
    }
    return p;
  }
}
