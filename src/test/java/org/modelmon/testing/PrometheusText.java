package org.modelmon.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), so that tests assert
 * on what a scraper reads rather than on the registry: sample lines {@code name{l="v",...} value
 * [timestamp]}, and the {@code # HELP} and {@code # TYPE} lines.
 */
public final class PrometheusText {

  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;
  private final Map<String, String> help;
  private final Map<String, String> type;

  private PrometheusText(
      final List<Sample> samples, final Map<String, String> help, final Map<String, String> type) {
    this.samples = List.copyOf(samples);
    this.help = Map.copyOf(help);
    this.type = Map.copyOf(type);
  }

  /** Parses a whole exposition; throws {@link IllegalArgumentException} on a malformed line. */
  public static PrometheusText parse(final String text) {
    final List<Sample> samples = new ArrayList<>();
    final Map<String, String> help = new HashMap<>();
    final Map<String, String> type = new HashMap<>();
    for (final String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
        final String rest = line.substring(7);
        final int space = rest.indexOf(' ');
        final String name = space < 0 ? rest : rest.substring(0, space);
        final String value = space < 0 ? "" : rest.substring(space + 1);
        (line.startsWith("# HELP ") ? help : type).put(name, value);
      } else if (!line.startsWith("#")) {
        samples.add(sample(line));
      }
    }
    return new PrometheusText(samples, help, type);
  }

  private static Sample sample(final String line) {
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    final String name = line.substring(0, i);
    final Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        final int equals = line.indexOf('=', i);
        final String label = line.substring(i, equals).strip();
        i = equals + 1;
        if (line.charAt(i) != '"') {
          throw new IllegalArgumentException("label value not quoted: " + line);
        }
        i++;
        final StringBuilder value = new StringBuilder();
        while (line.charAt(i) != '"') {
          char c = line.charAt(i++);
          if (c == '\\') {
            final char escaped = line.charAt(i++);
            c =
                switch (escaped) {
                  case '\\' -> '\\';
                  case '"' -> '"';
                  case 'n' -> '\n';
                  default -> throw new IllegalArgumentException("bad escape in: " + line);
                };
          }
          value.append(c);
        }
        i++; // closing quote
        if (labels.put(label, value.toString()) != null) {
          throw new IllegalArgumentException("label " + label + " repeated: " + line);
        }
        if (line.charAt(i) == ',') {
          i++;
        }
      }
      i++; // closing brace
    }
    final String[] rest = line.substring(i).strip().split(" ");
    return new Sample(name, Map.copyOf(labels), number(rest[0]));
  }

  private static double number(final String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(text);
    };
  }

  /** Every sample, in order. */
  public List<Sample> samples() {
    return samples;
  }

  /** The samples of one name. */
  public List<Sample> samples(final String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** The value of the sample with exactly these labels ({@code name, value, ...}), if present. */
  public Optional<Double> value(final String name, final String... labelPairs) {
    final Map<String, String> labels = new HashMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      labels.put(labelPairs[i], labelPairs[i + 1]);
    }
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().equals(labels))
        .map(Sample::value)
        .findFirst();
  }

  /** {@code # HELP} text by metric name. */
  public Map<String, String> help() {
    return help;
  }

  /** {@code # TYPE} by metric name. */
  public Map<String, String> type() {
    return type;
  }
}
