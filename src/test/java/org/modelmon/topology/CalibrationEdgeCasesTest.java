package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.modelmon.TestConfigs;
import org.modelmon.testing.WindowRecords;

/**
 * The calibration fields of whole window records, through the topology, for the cases where a slip
 * is easiest: classes listed in different orders, classes with q = 0, a tie at 0.5 (the class
 * listed first is the prediction), the {@code score} form (class "1" only when score &gt; 0.5) and
 * a certain prediction (H(q) = V(q) = 0). Each record is held against the one scikit-learn, SciPy
 * and numpy give for the same events ({@code generate_window_fixtures.py}).
 */
class CalibrationEdgeCasesTest {

  private static final Instant T0 = EVENT_TIME_ORIGIN; // aligned to 1m

  private TopologyFixture fixture;

  @AfterEach
  void closeDriver() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void shouldWriteTheCalibrationOfEdgeCasesAsScikitLearnAndSciPyGiveIt() {
    fixture =
        new TopologyFixture(
            TestConfigs.config("1m", Duration.ofSeconds(10), Duration.ofMinutes(1)));
    final JsonNode cases = WindowRecords.fixtures().get("calibrationEdgeCasesTest");
    // Given each model's events within [t0, t0+1m), one second apart,
    final Iterator<Map.Entry<String, JsonNode>> models = cases.get("events").fields();
    while (models.hasNext()) {
      final Map.Entry<String, JsonNode> model = models.next();
      int second = 0;
      for (final JsonNode event : model.getValue()) {
        fixture.send(withModelAndTime(event.asText(), model.getKey(), T0.plusSeconds(++second)));
      }
    }
    // when an event at t0+1m10s takes the watermark past end + grace,
    fixture.send(withModelAndTime("{\"score\": 0.5, \"label\": 0}", "marker", T0.plusSeconds(70)));
    fixture.advanceWallClock(Duration.ofSeconds(1));

    // then each model's window is the record the reference libraries give, field by field.
    final Map<String, JsonNode> written = new HashMap<>();
    for (final TestRecord<String, String> record : fixture.windows.readRecordsToList()) {
      written.put(record.key(), TopologyFixture.parse(record.value()));
    }
    final Iterator<Map.Entry<String, JsonNode>> expected = cases.get("windows").fields();
    int compared = 0;
    while (expected.hasNext()) {
      final Map.Entry<String, JsonNode> window = expected.next();
      WindowRecords.assertMatches(window.getKey(), written.get(window.getKey()), window.getValue());
      compared++;
    }
    assertThat(compared).isEqualTo(2);
    assertThat(fixture.deadLetters.isEmpty()).isTrue();
  }

  /** The event's JSON with {@code "model"} and {@code "timestamp"} added in front. */
  private static String withModelAndTime(final String json, final String model, final Instant at) {
    return "{\"model\": \"" + model + "\", \"timestamp\": \"" + at + "\", " + json.substring(1);
  }
}
