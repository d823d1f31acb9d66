package org.modelmon.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Placeholder: builds {@link ModelmonConfig}; being written. */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static ModelmonConfig load(
      final Optional<Path> file, final Map<String, String> environment, final Map<String, String> flags) {
    throw new IllegalStateException("ConfigLoader is not built yet");
  }
}
