package org.modelmon.config;

import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.modelmon.detector.DetectorSettings;
import org.modelmon.detector.DetectorStatus;

/**
 * Builds the {@link ModelmonConfig} from defaults, a properties file, environment variables and
 * command-line flags, each overriding the one before (docs/reference.md#configuration).
 *
 * <p>Every value is checked here, so that a bad configuration stops start-up with one line that
 * names the key instead of failing later, somewhere inside Kafka Streams.
 */
public final class ConfigLoader {

  private static final String PREFIX = "modelmon.";
  private static final String KAFKA_PREFIX = "kafka.";
  private static final String ENV_PREFIX = "MODELMON_";
  private static final String KAFKA_ENV_PREFIX = "MODELMON_KAFKA_";

  /** MODELMON_ variables that are read elsewhere (the logging configuration), not keys. */
  private static final Set<String> NON_KEY_VARIABLES = Set.of("MODELMON_LOG_LEVEL");

  private static final String BOOTSTRAP_SERVERS = "modelmon.bootstrap.servers";
  private static final String APPLICATION_ID = "modelmon.application.id";
  private static final String STATE_DIR = "modelmon.state.dir";
  private static final String PROCESSING_GUARANTEE = "modelmon.processing.guarantee";
  private static final String TOPIC_PREDICTIONS = "modelmon.topic.predictions";
  private static final String TOPIC_DLQ = "modelmon.topic.dlq";
  private static final String TOPIC_REFERENCES = "modelmon.topic.references";
  private static final String TOPIC_WINDOWS = "modelmon.topic.windows";
  private static final String TOPIC_ALARMS = "modelmon.topic.alarms";
  private static final String TOPIC_LABELS = "modelmon.topic.labels";
  private static final String LABELS_HORIZON = "modelmon.labels.horizon";
  private static final String LABELS_EARLY = "modelmon.labels.early";
  private static final String WINDOWS = "modelmon.windows";
  private static final String WINDOW_GRACE = "modelmon.window.grace";
  private static final String WINDOW_IDLE_CLOSE = "modelmon.window.idle.close";
  private static final String EPSILON = "modelmon.epsilon";
  private static final String PROBABILITY_TOLERANCE = "modelmon.probability.tolerance";
  private static final String MAX_CLASSES = "modelmon.max.classes";
  private static final String MAX_FUTURE_SKEW = "modelmon.max.future.skew";
  private static final String MAX_MODELS = "modelmon.max.models";
  private static final String METRICS_MAX_CLASSES = "modelmon.metrics.max.classes";
  private static final String CALIBRATION_BINS = "modelmon.calibration.bins";
  private static final String DETECTOR_WINDOW = "modelmon.detector.window";
  private static final String DETECTOR_MIN_LABELLED = "modelmon.detector.min.labelled";
  private static final String DETECTOR_WARMUP = "modelmon.detector.warmup";
  private static final String DETECTOR_MIN_BIN = "modelmon.detector.min.bin";
  private static final String DETECTOR_K = "modelmon.detector.k";
  private static final String DETECTOR_H = "modelmon.detector.h";
  private static final String HTTP_HOST = "modelmon.http.host";
  private static final String HTTP_PORT = "modelmon.http.port";

  /** Each bin is three counter series per (model, version): 60 at 20 bins. */
  private static final int MAX_CALIBRATION_BINS = 20;

  /**
   * The detector keeps its warm-up windows ({@link DetectorStatus#warmupWindowBytes} each) in one
   * changelog record: well under Kafka's default 1 MB record size.
   */
  private static final int MAX_WARMUP_BYTES = 512 * 1024;

  /** Every {@code modelmon.*} key with its default, in a fixed order; blank means "not set". */
  private static final Map<String, String> DEFAULTS = defaults();

  /**
   * Kafka settings that modelmon owns under its own key, so that there is one place to set them.
   */
  private static final Map<String, String> KAFKA_KEYS_OWNED =
      Map.of(
          "kafka.bootstrap.servers", BOOTSTRAP_SERVERS,
          "kafka.application.id", APPLICATION_ID,
          "kafka.state.dir", STATE_DIR,
          "kafka.processing.guarantee", PROCESSING_GUARANTEE);

  private static final Set<String> GUARANTEES = Set.of("exactly_once_v2", "at_least_once");

  // Kafka's rule for topic names; application ids become prefixes of internal topic names.
  private static final Pattern KAFKA_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");

  private static final String SHORT_DURATION_EXAMPLES = "(e.g. 30s, 5m, PT30S)";

  private ConfigLoader() {}

  /**
   * Loads the configuration: defaults, overridden by {@code file}, overridden by {@code
   * environment}, overridden by {@code flags}.
   *
   * @param file a properties file (UTF-8) of {@code modelmon.*} and {@code kafka.*} keys
   * @param environment environment variables; only those starting with {@code MODELMON_} are read:
   *     {@code MODELMON_HTTP_PORT} sets {@code modelmon.http.port} (the key in upper case, {@code
   *     .} as {@code _}) and {@code MODELMON_KAFKA_SASL_MECHANISM} sets {@code
   *     kafka.sasl.mechanism}
   * @param flags keys and values given on the command line
   * @return the validated configuration
   * @throws ConfigException on the first bad value, unknown key or unknown {@code MODELMON_*}
   *     variable, or when {@code file} cannot be read
   */
  public static ModelmonConfig load(
      final Optional<Path> file,
      final Map<String, String> environment,
      final Map<String, String> flags) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(flags, "flags");

    final Map<String, Setting> settings = new LinkedHashMap<>();
    DEFAULTS.forEach((key, value) -> settings.put(key, new Setting(value, "")));
    if (file.isPresent()) {
      final Path path = file.get();
      readProperties(path).forEach((key, value) -> put(settings, key, value, "in " + path));
    }
    // Sorted, so that of several bad variables the same one is reported every time.
    new TreeMap<>(environment)
        .forEach(
            (name, value) -> {
              if (name.startsWith(ENV_PREFIX) && !NON_KEY_VARIABLES.contains(name)) {
                put(settings, keyOfVariable(name), value, "by environment variable " + name);
              }
            });
    flags.forEach((key, value) -> put(settings, key, value, "on the command line"));
    return new Builder(settings).build();
  }

  private static Map<String, String> defaults() {
    final Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put(BOOTSTRAP_SERVERS, "localhost:9092");
    defaults.put(APPLICATION_ID, "modelmon");
    defaults.put(STATE_DIR, "");
    defaults.put(PROCESSING_GUARANTEE, "exactly_once_v2");
    defaults.put(TOPIC_PREDICTIONS, "predictions");
    defaults.put(TOPIC_DLQ, "predictions-dlq");
    defaults.put(TOPIC_REFERENCES, "model-references");
    defaults.put(TOPIC_WINDOWS, "model-window-metrics");
    defaults.put(TOPIC_ALARMS, "model-drift-alarms");
    defaults.put(TOPIC_LABELS, "labels");
    defaults.put(LABELS_HORIZON, "1d");
    defaults.put(LABELS_EARLY, "5m");
    defaults.put(WINDOWS, "1m,5m,1h");
    defaults.put(WINDOW_GRACE, "30s");
    defaults.put(WINDOW_IDLE_CLOSE, "1m");
    defaults.put(EPSILON, "1e-15");
    defaults.put(PROBABILITY_TOLERANCE, "1e-3");
    defaults.put(MAX_CLASSES, "1000");
    defaults.put(MAX_FUTURE_SKEW, "1h");
    defaults.put(MAX_MODELS, "1000");
    defaults.put(METRICS_MAX_CLASSES, "50");
    defaults.put(CALIBRATION_BINS, "10");
    defaults.put(DETECTOR_WINDOW, ""); // the smallest of modelmon.windows
    defaults.put(DETECTOR_MIN_LABELLED, "20");
    defaults.put(DETECTOR_WARMUP, "60");
    defaults.put(DETECTOR_MIN_BIN, "50");
    // k = 1 and h = 12, not the textbook 0.5 and 9: z has heavier tails than N(0, 1) and a
    // baseline learnt from an hour of windows is off by about 1/√W standard deviations, which
    // made k = 0.5, h = 9 alarm falsely up to 20 times in 30 days of stable synthetic traffic.
    // See docs/BENCHMARKS.md, section 6.
    defaults.put(DETECTOR_K, "1");
    defaults.put(DETECTOR_H, "12");
    defaults.put(HTTP_HOST, "0.0.0.0");
    defaults.put(HTTP_PORT, "8080");
    return Collections.unmodifiableMap(defaults);
  }

  private static Map<String, String> readProperties(final Path path) {
    if (Files.isDirectory(path)) {
      throw new ConfigException("--config " + path + ": is a directory, not a properties file");
    }
    final Properties properties = new Properties();
    // A Reader, not an InputStream: Properties.load(InputStream) would decode ISO-8859-1.
    try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (final NoSuchFileException e) {
      throw new ConfigException("--config " + path + ": no such file", e);
    } catch (final AccessDeniedException e) {
      throw new ConfigException("--config " + path + ": permission denied", e);
    } catch (final CharacterCodingException e) {
      throw new ConfigException("--config " + path + ": not valid UTF-8", e);
    } catch (final IOException | IllegalArgumentException e) {
      throw new ConfigException("--config " + path + ": cannot be read: " + e.getMessage(), e);
    }
    final Map<String, String> values = new TreeMap<>();
    properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key)));
    return values;
  }

  /** The key an environment variable starting with {@code MODELMON_} sets. */
  private static String keyOfVariable(final String name) {
    if (name.startsWith(KAFKA_ENV_PREFIX) && name.length() > KAFKA_ENV_PREFIX.length()) {
      return KAFKA_PREFIX
          + name.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }
    // "_" stands for "." but also occurs in nothing else, so match against the known keys.
    for (final String key : DEFAULTS.keySet()) {
      if (variableOf(key).equals(name)) {
        return key;
      }
    }
    final String suggestion =
        closest(name, DEFAULTS.keySet().stream().map(ConfigLoader::variableOf).toList())
            .map(known -> "; did you mean " + known + "?")
            .orElse("");
    throw new ConfigException(
        name
            + ": unknown environment variable; modelmon reads MODELMON_<KEY> for its keys (e.g."
            + " MODELMON_HTTP_PORT) and MODELMON_KAFKA_<KEY> for Kafka client settings"
            + suggestion);
  }

  private static String variableOf(final String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  private static void put(
      final Map<String, Setting> settings,
      final String rawKey,
      final String value,
      final String source) {
    Objects.requireNonNull(rawKey, "key");
    final String key = rawKey.strip();
    if (key.startsWith(KAFKA_PREFIX)) {
      if (key.length() == KAFKA_PREFIX.length()) {
        throw new ConfigException(key + ": a Kafka client setting needs a name after \"kafka.\"");
      }
      final String owned = KAFKA_KEYS_OWNED.get(key);
      if (owned != null) {
        throw new ConfigException(
            key + ": set " + owned + " instead (" + key + " is set " + source + ")");
      }
    } else if (!DEFAULTS.containsKey(key)) {
      final String suggestion =
          closest(key, DEFAULTS.keySet()).map(known -> "; did you mean " + known + "?").orElse("");
      final String what =
          key.startsWith(PREFIX)
              ? "unknown key"
              : "not a configuration key (keys start with modelmon. or kafka.)";
      throw new ConfigException(
          (key.isEmpty() ? Texts.quote(key) : key)
              + ": "
              + what
              + " (set "
              + source
              + ")"
              + suggestion);
    }
    settings.put(key, new Setting(Objects.requireNonNull(value, key), source));
  }

  /** The known name within edit distance 2 of {@code name}, to point at a likely typo. */
  private static Optional<String> closest(final String name, final Iterable<String> known) {
    String best = null;
    int bestDistance = 3;
    for (final String candidate : known) {
      final int distance = editDistance(name, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return Optional.ofNullable(best);
  }

  private static int editDistance(final String a, final String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        final int substitution = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + substitution);
      }
      final int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /**
   * A value and where it came from.
   *
   * @param source how it was set, e.g. {@code "by environment variable MODELMON_HTTP_PORT"}; empty
   *     for a default
   */
  private record Setting(String value, String source) {}

  /** Reads and checks the merged settings one key at a time; the first bad value is reported. */
  private static final class Builder {

    private final Map<String, Setting> settings;

    Builder(final Map<String, Setting> settings) {
      this.settings = settings;
    }

    ModelmonConfig build() {
      final String bootstrapServers = text(BOOTSTRAP_SERVERS);
      final String applicationId =
          name(
              APPLICATION_ID,
              "is not a valid application id (1-249 characters of A-Z a-z 0-9 . _ -)");
      final String stateDir = raw(STATE_DIR);
      final String guarantee = text(PROCESSING_GUARANTEE).toLowerCase(Locale.ROOT);
      if (!GUARANTEES.contains(guarantee)) {
        throw invalid(
            PROCESSING_GUARANTEE,
            "is not a processing guarantee (expected exactly_once_v2 or at_least_once)");
      }
      final String predictionsTopic = topic(TOPIC_PREDICTIONS);
      final String dlqTopic = topic(TOPIC_DLQ);
      final String referencesTopic = topic(TOPIC_REFERENCES);
      final String windowsTopic = topic(TOPIC_WINDOWS);
      final String alarmsTopic = topic(TOPIC_ALARMS);
      final String labelsTopic = topic(TOPIC_LABELS);
      distinctTopics(
          List.of(
              TOPIC_PREDICTIONS,
              TOPIC_LABELS,
              TOPIC_DLQ,
              TOPIC_REFERENCES,
              TOPIC_WINDOWS,
              TOPIC_ALARMS));
      final LabelSettings labels =
          new LabelSettings(
              labelsTopic,
              duration(LABELS_HORIZON, d -> !d.isNegative(), "≥ 0 (e.g. 1d, 12h, P1D)"),
              duration(LABELS_EARLY, d -> !d.isNegative(), "≥ 0 " + SHORT_DURATION_EXAMPLES));
      final List<WindowSpec> windows = windows();
      final Duration grace =
          duration(WINDOW_GRACE, d -> !d.isNegative(), "≥ 0 " + SHORT_DURATION_EXAMPLES);
      final Duration idleClose =
          duration(
              WINDOW_IDLE_CLOSE, d -> !d.isNegative() && !d.isZero(), "> 0 (e.g. 1m, 30s, PT1M)");
      final double epsilon =
          decimal(EPSILON, x -> x > 0 && x < 1, "is not a number > 0 and < 1 (e.g. 1e-15)");
      final double probabilityTolerance =
          decimal(
              PROBABILITY_TOLERANCE,
              x -> x >= 0 && x < 1,
              "is not a number ≥ 0 and < 1 (e.g. 1e-3)");
      final int maxClasses = integer(MAX_CLASSES, 2, Integer.MAX_VALUE, "an integer ≥ 2");
      final Duration maxFutureSkew =
          duration(MAX_FUTURE_SKEW, d -> !d.isNegative(), "≥ 0 (e.g. 1h, 10m, PT1H)");
      final int maxModels = integer(MAX_MODELS, 1, Integer.MAX_VALUE, "an integer ≥ 1");
      final int metricsMaxClasses =
          integer(METRICS_MAX_CLASSES, 0, Integer.MAX_VALUE, "an integer ≥ 0");
      // Each bin is three counter series per model and 48 bytes in every partial and window.
      final int calibrationBins =
          integer(
              CALIBRATION_BINS,
              1,
              MAX_CALIBRATION_BINS,
              "an integer from 1 to " + MAX_CALIBRATION_BINS);
      final DetectorSettings detector = detector(windows, calibrationBins);
      final String httpHost = text(HTTP_HOST);
      final int httpPort =
          integer(HTTP_PORT, 0, 65_535, "a port number from 0 to 65535 (0 picks a free port)");

      final Map<String, String> kafka = new HashMap<>();
      settings.forEach(
          (key, setting) -> {
            if (key.startsWith(KAFKA_PREFIX)) {
              kafka.put(key.substring(KAFKA_PREFIX.length()), setting.value());
            }
          });

      return new ModelmonConfig(
          bootstrapServers,
          applicationId,
          stateDir.isEmpty() ? Optional.empty() : Optional.of(stateDir),
          guarantee,
          predictionsTopic,
          dlqTopic,
          referencesTopic,
          windowsTopic,
          alarmsTopic,
          windows,
          grace,
          idleClose,
          epsilon,
          probabilityTolerance,
          maxClasses,
          maxFutureSkew,
          maxModels,
          metricsMaxClasses,
          calibrationBins,
          detector,
          labels,
          httpHost,
          httpPort,
          kafka);
    }

    /** The value without surrounding white space, which in a properties file is easy to miss. */
    private String raw(final String key) {
      return settings.get(key).value().strip();
    }

    private String text(final String key) {
      final String value = raw(key);
      if (value.isEmpty()) {
        throw invalid(key, "is empty; a value is required");
      }
      return value;
    }

    private String name(final String key, final String expected) {
      final String value = raw(key);
      if (!KAFKA_NAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
        throw invalid(key, expected);
      }
      return value;
    }

    private String topic(final String key) {
      return name(key, "is not a valid Kafka topic name (1-249 characters of A-Z a-z 0-9 . _ -)");
    }

    // Reading the dead-letter topic as input, or writing window records into it, would loop or
    // mix record formats, so every topic has to be its own.
    private void distinctTopics(final List<String> keys) {
      final Map<String, String> keyByTopic = new HashMap<>();
      for (final String key : keys) {
        final String other = keyByTopic.putIfAbsent(raw(key), key);
        if (other != null) {
          throw invalid(key, "is also " + other + "; each topic must be a different one");
        }
      }
    }

    private DetectorSettings detector(final List<WindowSpec> windows, final int bins) {
      String window = raw(DETECTOR_WINDOW);
      if (window.isEmpty()) {
        window = windows.stream().min(Comparator.comparing(WindowSpec::size)).orElseThrow().label();
      } else {
        final String configured = window;
        if (windows.stream().noneMatch(spec -> spec.label().equals(configured))) {
          throw invalid(
              DETECTOR_WINDOW,
              "is not one of modelmon.windows ("
                  + windows.stream().map(WindowSpec::label).collect(Collectors.joining(","))
                  + ")");
        }
      }
      final int maxWarmup = MAX_WARMUP_BYTES / DetectorStatus.warmupWindowBytes(bins);
      return new DetectorSettings(
          window,
          integer(DETECTOR_MIN_LABELLED, 1, Integer.MAX_VALUE, "an integer ≥ 1"),
          integer(
              DETECTOR_WARMUP,
              2,
              maxWarmup,
              "an integer from 2 to "
                  + maxWarmup
                  + " (the most the detector keeps with modelmon.calibration.bins="
                  + bins
                  + ")"),
          integer(DETECTOR_MIN_BIN, 1, Integer.MAX_VALUE, "an integer ≥ 1"),
          decimal(DETECTOR_K, x -> Double.isFinite(x) && x >= 0, "is not a number ≥ 0 (e.g. 0.5)"),
          decimal(DETECTOR_H, x -> Double.isFinite(x) && x > 0, "is not a number > 0 (e.g. 9)"));
    }

    private List<WindowSpec> windows() {
      final String value = raw(WINDOWS);
      final List<WindowSpec> windows = new ArrayList<>();
      for (final String item : value.split(",", -1)) {
        final String label = item.strip();
        final Duration size;
        try {
          size = Durations.parse(label);
        } catch (final IllegalArgumentException e) {
          throw invalidWindow(label);
        }
        // Kafka Streams windows are whole milliseconds, at least one long.
        if (size.compareTo(Duration.ofMillis(1)) < 0 || size.getNano() % 1_000_000 != 0) {
          throw invalidWindow(label);
        }
        for (final WindowSpec earlier : windows) {
          if (earlier.size().equals(size)) {
            throw invalid(
                WINDOWS,
                "has the window size "
                    + Durations.format(size)
                    + " twice ("
                    + Texts.quote(earlier.label())
                    + " and "
                    + Texts.quote(label)
                    + "); window sizes must differ");
          }
        }
        windows.add(new WindowSpec(label, size));
      }
      return windows;
    }

    private ConfigException invalidWindow(final String label) {
      return invalid(
          WINDOWS,
          "is not a comma-separated list of window sizes: "
              + Texts.quote(label)
              + " is not a duration of at least 1ms (e.g. 1m,5m,1h)");
    }

    private Duration duration(
        final String key, final Predicate<Duration> allowed, final String expected) {
      final String value = raw(key);
      try {
        final Duration duration = Durations.parse(value);
        if (allowed.test(duration)) {
          return duration;
        }
      } catch (final IllegalArgumentException e) {
        // reported below, with the key and what is expected
      }
      throw invalid(key, "is not a duration " + expected);
    }

    private double decimal(
        final String key, final Predicate<Double> allowed, final String expected) {
      final String value = raw(key);
      try {
        // BigDecimal, unlike Double.parseDouble, rejects NaN, Infinity, hex and a "d" suffix.
        final double number = new BigDecimal(value).doubleValue();
        if (allowed.test(number)) {
          return number;
        }
      } catch (final NumberFormatException e) {
        // reported below, with the key and what is expected
      }
      throw invalid(key, expected);
    }

    private int integer(final String key, final int min, final int max, final String expected) {
      final String value = raw(key);
      try {
        final int number = Integer.parseInt(value);
        if (number >= min && number <= max) {
          return number;
        }
      } catch (final NumberFormatException e) {
        // reported below, with the key and what is expected
      }
      throw invalid(key, "is not " + expected);
    }

    private ConfigException invalid(final String key, final String problem) {
      final Setting setting = settings.get(key);
      final String source = setting.source().isEmpty() ? "" : " (set " + setting.source() + ")";
      return new ConfigException(
          key + ": " + Texts.quote(setting.value()) + " " + problem + source);
    }
  }
}
