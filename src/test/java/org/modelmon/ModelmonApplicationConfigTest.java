package org.modelmon;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.modelmon.config.ConfigException;
import org.modelmon.config.ConfigLoader;

class ModelmonApplicationConfigTest {

  @Test
  void shouldRefuseABadRocksDbBoundAtStartUpWithOneLineNamingTheKey() {
    // Kafka Streams would read it only in a stream thread, when the first store opens.
    assertThatThrownBy(
            () ->
                ModelmonApplication.create(
                    ConfigLoader.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of("kafka.rocksdb.total.memory.bytes", "lots"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("kafka.rocksdb.total.memory.bytes: ")
        .hasMessageNotContaining("\n");
  }
}
