package org.apache.spark.storage;

import java.util.UUID;

/** Spark 2.2's org.apache.spark.storage.TempLocalBlockId(id): a spill file's block. */
public class TempLocalBlockId extends BlockId {

    private final UUID id;

    public TempLocalBlockId(UUID id) {
        this.id = id;
    }

    public UUID id() {
        return id;
    }

    public String name() {
        return new StringBuilder("temp_local_").append(id.toString()).toString();
    }
}
