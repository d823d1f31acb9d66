package org.modelmon.state;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the memory of all RocksDB state stores of the process together, Kafka Streams' documented
 * "bounded memory" pattern: one block cache shared by every store, with the stores' memtables
 * (through one {@link WriteBufferManager}) and their index and filter blocks charged to it.
 *
 * <p>Without it each store (and each segment of a window store) gets its own 50 MiB block cache
 * and up to three 16 MiB memtables, so RocksDB's off-heap memory grows with the number of tasks
 * and segments, outside the JVM's heap limit, until the container is OOM-killed. With it the
 * process holds at most the configured bound of RocksDB cache and memtables (default 256 MiB),
 * next to a heap of a fixed share of the container's memory (deploy/Dockerfile).
 *
 * <p>modelmon registers it by default ({@code rocksdb.config.setter}); a {@code
 * kafka.rocksdb.config.setter} setting replaces it. The size is the Kafka Streams setting {@value
 * #TOTAL_MEMORY_CONFIG}, given to modelmon as {@code kafka.rocksdb.total.memory.bytes}. Every
 * store configured with the same size shares one cache, also across Kafka Streams instances of
 * one JVM; the cache lives as long as the process.
 */
public final class BoundedMemoryRocksDBConfig implements RocksDBConfigSetter {

  /** The Kafka Streams setting with the bound: block cache and memtables of all stores. */
  public static final String TOTAL_MEMORY_CONFIG = "rocksdb.total.memory.bytes";

  /** 256 MiB. */
  public static final long DEFAULT_TOTAL_MEMORY_BYTES = 256L * 1024 * 1024;

  /** The memtables' share of the bound: writes are flushed before they crowd out reads. */
  static final double MEMTABLE_SHARE = 0.25;

  /**
   * The share of the cache kept for index and filter blocks (high priority), so that a scan of
   * data blocks cannot evict the blocks every read needs first.
   */
  static final double INDEX_FILTER_SHARE = 0.1;

  /** One shared cache and write-buffer manager per configured size. */
  private static final Map<Long, Shared> SHARED = new ConcurrentHashMap<>();

  /** The cache and write-buffer manager that all stores with one bound share. */
  record Shared(Cache cache, WriteBufferManager writeBufferManager) {
    static Shared of(final long totalBytes) {
      // -1 shard bits: RocksDB picks; false: no strict capacity limit, as a full cache that
      // refuses inserts fails reads.
      final Cache cache = new LRUCache(totalBytes, -1, false, INDEX_FILTER_SHARE);
      return new Shared(
          cache, new WriteBufferManager((long) (totalBytes * MEMTABLE_SHARE), cache));
    }
  }

  /** Kafka Streams creates one per store, through the no-argument constructor. */
  public BoundedMemoryRocksDBConfig() {}

  @Override
  public void setConfig(
      final String storeName, final Options options, final Map<String, Object> configs) {
    final Shared shared = shared(totalMemoryBytes(configs));
    final BlockBasedTableConfig tableConfig = (BlockBasedTableConfig) options.tableFormatConfig();
    tableConfig.setBlockCache(shared.cache());
    tableConfig.setCacheIndexAndFilterBlocks(true);
    tableConfig.setCacheIndexAndFilterBlocksWithHighPriority(true);
    tableConfig.setPinTopLevelIndexAndFilter(true);
    options.setWriteBufferManager(shared.writeBufferManager());
    options.setTableFormatConfig(tableConfig);
  }

  @Override
  public void close(final String storeName, final Options options) {
    // The cache and the write-buffer manager are shared by every store: never closed here.
  }

  /** The shared cache and write-buffer manager for a bound of {@code totalBytes}. */
  static Shared shared(final long totalBytes) {
    return SHARED.computeIfAbsent(totalBytes, Shared::of);
  }

  /**
   * The bound that Kafka Streams settings {@code configs} give, or the default.
   *
   * @throws ConfigException when it is no positive number of bytes
   */
  public static long totalMemoryBytes(final Map<String, ?> configs) {
    final Object value = configs.get(TOTAL_MEMORY_CONFIG);
    if (value == null) {
      return DEFAULT_TOTAL_MEMORY_BYTES;
    }
    final long bytes;
    try {
      bytes = value instanceof Number number ? number.longValue()
          : Long.parseLong(value.toString().strip());
    } catch (NumberFormatException e) {
      throw new ConfigException(TOTAL_MEMORY_CONFIG, value, "not a number of bytes");
    }
    if (bytes <= 0) {
      throw new ConfigException(TOTAL_MEMORY_CONFIG, value, "must be a positive number of bytes");
    }
    return bytes;
  }
}
