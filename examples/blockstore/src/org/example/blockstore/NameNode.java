package org.example.blockstore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/** Keeps the namespace: which file owns which blocks, and where each block's replicas live. */
public class NameNode {
    public static final Log LOG = LogFactory.getLog(NameNode.class);
    public static final Log stateChangeLog = LogFactory.getLog("org.example.blockstore.StateChange");
    static final String PREFIX = "BLOCK* NameSystem";
    static final int MAX_REPLICAS = 3;

    private final Map<Long, List<String>> locations = new HashMap<>();
    private final Map<String, List<Long>> files = new HashMap<>();
    private final List<String> datanodes = new ArrayList<>();
    private long nextBlockId = 1000;

    public NameNode(List<String> nodes) {
        datanodes.addAll(nodes);
        LOG.info("NameNode started with " + nodes.size() + " datanodes");
    }

    /** Allocates a new block for {@code src} and chooses its targets. */
    public synchronized long allocateBlock(String src, int replication) throws IOException {
        if (datanodes.isEmpty()) {
            LOG.error("No datanode available to allocate a block for " + src);
            throw new IOException("no datanodes");
        }
        long blockId = nextBlockId++;
        List<String> targets = new ArrayList<>();
        for (String node : datanodes) {
            if (targets.size() >= Math.min(replication, MAX_REPLICAS)) {
                break;
            }
            if (node.startsWith("decommissioned:")) {
                LOG.debug("Skipping decommissioned node " + node);
                continue;
            }
            targets.add(node);
        }
        locations.put(blockId, new ArrayList<>());
        files.computeIfAbsent(src, k -> new ArrayList<>()).add(blockId);
        stateChangeLog.info(PREFIX + ".allocateBlock: " + src + ". blk_" + blockId);
        return blockId;
    }

    /** A datanode reports that it stored a replica. */
    public synchronized void addStoredBlock(long blockId, String node, long size) {
        List<String> replicas = locations.get(blockId);
        if (replicas == null) {
            stateChangeLog.info(PREFIX + ".addStoredBlock: addStoredBlock request received for blk_" + blockId
                    + " on " + node + " size " + size + " But it does not belong to any file.");
            return;
        }
        if (replicas.contains(node)) {
            stateChangeLog.warn(PREFIX + ".addStoredBlock: Redundant addStoredBlock request received for blk_"
                    + blockId + " on " + node + " size " + size);
        } else {
            replicas.add(node);
            stateChangeLog.info(PREFIX + ".addStoredBlock: blockMap updated: " + node + " is added to blk_"
                    + blockId + " size " + size);
        }
    }

    /** Deletes a file: its blocks are scheduled for deletion on every replica. */
    public synchronized boolean delete(String src) {
        List<Long> blocks = files.remove(src);
        if (blocks == null) {
            LOG.warn("Cannot delete " + src + ": no such file");
            return false;
        }
        for (long blockId : blocks) {
            for (String node : locations.getOrDefault(blockId, new ArrayList<>())) {
                stateChangeLog.info(PREFIX + ".delete: blk_" + blockId + " is added to invalidSet of " + node);
            }
            locations.remove(blockId);
        }
        return true;
    }

    /** Background monitor that re-replicates blocks with too few replicas. */
    class ReplicationMonitor implements Runnable {
        private volatile boolean running = true;

        public void run() {
            while (running) {
                try {
                    checkReplication();
                    Thread.sleep(3000);
                } catch (InterruptedException ie) {
                    LOG.warn("ReplicationMonitor interrupted");
                    break;
                } catch (Exception e) {
                    LOG.error("ReplicationMonitor thread received exception. " + e, e);
                }
            }
        }

        private void checkReplication() {
            synchronized (NameNode.this) {
                for (Map.Entry<Long, List<String>> entry : locations.entrySet()) {
                    int missing = MAX_REPLICAS - entry.getValue().size();
                    if (missing <= 0) {
                        continue;
                    }
                    if (LOG.isDebugEnabled()) {
                        LOG.debug("blk_" + entry.getKey() + " needs " + missing + " more replicas");
                    }
                    String target = datanodes.get((int) (entry.getKey() % datanodes.size()));
                    LOG.info("BLOCK* ask " + entry.getValue() + " to replicate blk_" + entry.getKey() + " to "
                            + target);
                }
            }
        }
    }
}
