package org.modelmon;

import org.modelmon.config.ModelmonConfig;

/**
 * One running modelmon instance: topics ensured, the Kafka Streams topology running, metrics and
 * the HTTP endpoints served. Placeholder signature; the lifecycle is being built.
 */
public final class ModelmonApplication implements AutoCloseable {

  private ModelmonApplication() {}

  /** Starts an instance with {@code config}; returns once the HTTP endpoints answer. */
  public static ModelmonApplication start(final ModelmonConfig config) {
    throw new IllegalStateException("ModelmonApplication is not built yet");
  }

  /** The port the HTTP endpoints listen on (useful when configured as 0). */
  public int httpPort() {
    throw new IllegalStateException("ModelmonApplication is not built yet");
  }

  /** Blocks until {@link #close()} has been called or the stream has died for good. */
  public void awaitTermination() throws InterruptedException {
    throw new IllegalStateException("ModelmonApplication is not built yet");
  }

  /** Stops the stream and the HTTP server; idempotent. */
  @Override
  public void close() {}
}
