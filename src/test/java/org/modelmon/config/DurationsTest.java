package org.modelmon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @Test
  void shouldParseEveryShortUnit() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
  }

  @Test
  void shouldParseIso8601() {
    assertThat(Durations.parse("PT30S")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("pt1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("P1DT2H")).isEqualTo(Duration.ofHours(26));
    assertThat(Durations.parse("PT0.25S")).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void shouldIgnoreSurroundingWhiteSpace() {
    assertThat(Durations.parse(" 5m\t")).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void shouldParseNegativeDurationsAndLeaveTheRangeToTheCaller() {
    assertThat(Durations.parse("-5s")).isEqualTo(Duration.ofSeconds(-5));
    assertThat(Durations.parse("PT-5S")).isEqualTo(Duration.ofSeconds(-5));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "5",
        "5 s",
        "1.5h",
        "1M",
        "5S",
        "5sec",
        "+5s",
        "abc",
        "PT",
        "s",
        "9223372036854775807d",
        "99999999999999999999ms",
        "PT9223372036854775807S"
      })
  void shouldRejectWhatIsNotADuration(final String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + text.strip() + "\" is not a duration");
  }

  @Test
  void shouldFormatInTheLargestExactUnit() {
    assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(Durations.format(Duration.ofMinutes(120))).isEqualTo("2h");
    assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("2d");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(Durations.format(Duration.ofSeconds(-30))).isEqualTo("-30s");
  }

  @Test
  void shouldFormatSubMillisecondDurationsAsIso8601() {
    assertThat(Durations.format(Duration.ofNanos(1_500))).isEqualTo("PT0.0000015S");
  }

  @ParameterizedTest
  @ValueSource(strings = {"500ms", "90s", "5m", "2h", "3d", "-7m", "PT0.0000015S", "PT1H0.5S"})
  void shouldReadItsOwnFormatBack(final String text) {
    final Duration duration = Durations.parse(text);

    assertThat(Durations.parse(Durations.format(duration))).isEqualTo(duration);
  }
}
