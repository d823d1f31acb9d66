package org.modelmon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteOptions;

/**
 * {@link BoundedMemoryRocksDBConfig} sets the options of Kafka Streams' bounded-memory pattern,
 * and a real RocksDB opened with them uses a block cache of the configured size and charges its
 * memtables to it.
 */
class BoundedMemoryRocksDBConfigTest {

  private static final long MIB = 1024 * 1024;

  @TempDir Path directory;

  @Test
  void shouldShareOneCacheAndWriteBufferManagerAndCacheIndexAndFilterBlocks() {
    try (Options first = kafkaStreamsDefaults();
        Options second = kafkaStreamsDefaults()) {
      final Map<String, Object> configs =
          Map.of(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG, String.valueOf(24 * MIB));

      new BoundedMemoryRocksDBConfig().setConfig("window-history-store", first, configs);
      new BoundedMemoryRocksDBConfig().setConfig("latest-window-store", second, configs);

      assertThat(first.writeBufferManager())
          .isNotNull()
          .isSameAs(second.writeBufferManager())
          .isSameAs(BoundedMemoryRocksDBConfig.shared(24 * MIB).writeBufferManager());
      final BlockBasedTableConfig table = (BlockBasedTableConfig) first.tableFormatConfig();
      assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
      assertThat(table.cacheIndexAndFilterBlocksWithHighPriority()).isTrue();
      assertThat(table.pinTopLevelIndexAndFilter()).isTrue();
    }
  }

  @Test
  void shouldGiveAnotherBoundItsOwnCache() {
    assertThat(BoundedMemoryRocksDBConfig.shared(16 * MIB).cache())
        .isSameAs(BoundedMemoryRocksDBConfig.shared(16 * MIB).cache())
        .isNotSameAs(BoundedMemoryRocksDBConfig.shared(32 * MIB).cache());
  }

  @Test
  void shouldOpenADatabaseWithACacheOfTheConfiguredSizeThatItsMemtablesAreChargedTo()
      throws Exception {
    final long bound = 40 * MIB;
    try (Options options = kafkaStreamsDefaults().setCreateIfMissing(true)) {
      new BoundedMemoryRocksDBConfig()
          .setConfig(
              "store", options, Map.of(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG, bound));

      try (RocksDB db = RocksDB.open(options, directory.toString());
          WriteOptions write = new WriteOptions().setDisableWAL(true)) {
        final long before = Long.parseLong(db.getProperty("rocksdb.block-cache-usage"));
        // 4 MiB of values, all in the memtable (16 MiB by default: nothing is flushed).
        final byte[] value = new byte[4096];
        Arrays.fill(value, (byte) 7);
        for (int i = 0; i < 1024; i++) {
          db.put(write, ("key-" + i).getBytes(StandardCharsets.UTF_8), value);
        }
        final long after = Long.parseLong(db.getProperty("rocksdb.block-cache-usage"));

        assertThat(Long.parseLong(db.getProperty("rocksdb.block-cache-capacity")))
            .isEqualTo(bound);
        // The write-buffer manager reserves the memtable's memory in the cache in chunks: the
        // cache's usage grows by about the 4 MiB written although no block was read.
        assertThat(after - before).isBetween(3 * MIB, bound);
      }
    }
  }

  @Test
  void shouldBoundTo256MiBUnlessConfiguredAndRefuseANonPositiveOrNonNumericSize() {
    assertThat(BoundedMemoryRocksDBConfig.totalMemoryBytes(Map.of())).isEqualTo(256 * MIB);
    assertThat(
            BoundedMemoryRocksDBConfig.totalMemoryBytes(
                Map.of(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG, " 536870912 ")))
        .isEqualTo(512 * MIB);
    assertThatThrownBy(
            () ->
                BoundedMemoryRocksDBConfig.totalMemoryBytes(
                    Map.of(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG, "256Mi")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG);
    assertThatThrownBy(
            () ->
                BoundedMemoryRocksDBConfig.totalMemoryBytes(
                    Map.of(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG, "0")))
        .isInstanceOf(ConfigException.class);
  }

  /** Options as Kafka Streams hands them to the setter: a block-based table config set. */
  private static Options kafkaStreamsDefaults() {
    RocksDB.loadLibrary();
    final Options options = new Options();
    options.setTableFormatConfig(new BlockBasedTableConfig());
    return options;
  }
}
