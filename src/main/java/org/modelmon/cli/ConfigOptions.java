package org.modelmon.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modelmon.config.ConfigException;
import org.modelmon.config.ConfigLoader;
import org.modelmon.config.ModelmonConfig;
import picocli.CommandLine.Option;

/**
 * The configuration options every command that talks to Kafka shares, {@code --config FILE} and
 * {@code -D key=value}, mixed into each command so that all of them load the configuration the same
 * way (docs/reference.md#configuration).
 */
final class ConfigOptions {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "A properties file (UTF-8) of modelmon.* and kafka.* keys.")
  private Path configFile;

  @Option(
      names = {"-D", "--set"},
      paramLabel = "KEY=VALUE",
      description = {
        "Sets a key, overriding the file and the environment; repeatable.",
        "E.g. -D modelmon.bootstrap.servers=kafka:9092"
      })
  private List<String> settings = new ArrayList<>();

  /**
   * The configuration: defaults &lt; {@code --config} file &lt; {@code environment} &lt; {@code -D}
   * flags.
   *
   * @throws ConfigException on the first bad value, with the key's name
   */
  ModelmonConfig load(final Map<String, String> environment) {
    return ConfigLoader.load(Optional.ofNullable(configFile), environment, flags());
  }

  /** The {@code -D} flags as keys and values, the last one winning for a repeated key. */
  private Map<String, String> flags() {
    final Map<String, String> flags = new LinkedHashMap<>();
    for (final String setting : settings) {
      final int equals = setting.indexOf('=');
      if (equals <= 0) {
        throw new ConfigException(
            "-D \"" + setting + "\": expected KEY=VALUE, e.g. -D modelmon.http.port=9000");
      }
      flags.put(setting.substring(0, equals), setting.substring(equals + 1));
    }
    return flags;
  }
}
