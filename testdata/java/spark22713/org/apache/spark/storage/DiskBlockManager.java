package org.apache.spark.storage;

import java.io.File;
import java.util.UUID;

/**
 * Spark 2.2's org.apache.spark.storage.DiskBlockManager: maps block ids to
 * files under localDirs/xx/. Nothing is written to disk.
 */
public class DiskBlockManager {

    /** Deterministic stand-in for UUID.randomUUID() (which would pull in SecureRandom). */
    private static long nextTempBlock = 1;

    private final int subDirsPerLocalDir;
    private final File[] localDirs;
    private final File[][] subDirs;

    public DiskBlockManager(String localDir) {
        this.subDirsPerLocalDir = 64;
        this.localDirs = new File[] {new File(localDir)};
        this.subDirs = new File[localDirs.length][subDirsPerLocalDir];
    }

    public File getFile(BlockId blockId) {
        String filename = blockId.name();
        int hash = filename.hashCode() & Integer.MAX_VALUE;
        int dirId = hash % localDirs.length;
        int subDirId = (hash / localDirs.length) % subDirsPerLocalDir;
        File subDir = subDirs[dirId][subDirId];
        if (subDir == null) {
            String hex = Integer.toHexString(subDirId);
            if (hex.length() < 2) {
                hex = new StringBuilder("0").append(hex).toString();
            }
            subDir = new File(localDirs[dirId], hex);
            subDirs[dirId][subDirId] = subDir;
        }
        return new File(subDir, filename);
    }

    public TempLocalBlockId createTempLocalBlock() {
        long n = nextTempBlock++;
        return new TempLocalBlockId(new UUID(0x2271300000004000L | (n << 16), 0x8000000000000000L | n));
    }
}
