package org.modelmon.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of a Prometheus text endpoint, parsed into samples. */
final class PrometheusScrape {

  /** One sample line. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)(\\s+\\S+)?$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final List<Sample> samples;

  private PrometheusScrape(final List<Sample> samples) {
    this.samples = samples;
  }

  static PrometheusScrape of(final URI metrics) throws IOException, InterruptedException {
    final HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(metrics).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("scrape answered " + response.statusCode());
    }
    return parse(response.body());
  }

  static PrometheusScrape parse(final String text) {
    final List<Sample> samples = new ArrayList<>();
    for (final String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      final Matcher matcher = LINE.matcher(line);
      if (!matcher.matches()) {
        throw new IllegalArgumentException("not a sample line: " + line);
      }
      final Map<String, String> labels = new LinkedHashMap<>();
      if (matcher.group(3) != null) {
        final Matcher label = LABEL.matcher(matcher.group(3));
        while (label.find()) {
          labels.put(label.group(1), label.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
      }
      samples.add(new Sample(matcher.group(1), labels, Double.parseDouble(matcher.group(4))));
    }
    return new PrometheusScrape(samples);
  }

  /** Samples named {@code name} whose labels include every given pair. */
  List<Sample> find(final String name, final String... labelPairs) {
    final List<Sample> found = new ArrayList<>();
    for (final Sample sample : samples) {
      if (!sample.name().equals(name)) {
        continue;
      }
      boolean matches = true;
      for (int i = 0; i < labelPairs.length; i += 2) {
        matches &= labelPairs[i + 1].equals(sample.labels().get(labelPairs[i]));
      }
      if (matches) {
        found.add(sample);
      }
    }
    return found;
  }

  /** The one value of {@code name} with the given labels; fails when there is not exactly one. */
  double value(final String name, final String... labelPairs) {
    final List<Sample> found = find(name, labelPairs);
    if (found.size() != 1) {
      throw new AssertionError(
          "expected one sample of " + name + " " + List.of(labelPairs) + ", found " + found);
    }
    return found.get(0).value();
  }
}
