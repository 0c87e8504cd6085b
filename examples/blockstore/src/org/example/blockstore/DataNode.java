package org.example.blockstore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Receives blocks from clients and forwards them down a write pipeline of mirrors. */
public class DataNode {
    private static final Logger logger = LoggerFactory.getLogger(DataNode.class);
    private final String address;
    private final NameNode nameNode;
    private final ExecutorService workers = Executors.newFixedThreadPool(4);

    public DataNode(String address, NameNode nameNode) {
        this.address = address;
        this.nameNode = nameNode;
    }

    /** Receives one block: reads packets, writes them locally and to the next mirror, then acknowledges. */
    public void writeBlock(long blockId, String src, String mirror, InputStream in, OutputStream mirrorOut)
            throws IOException {
        logger.info("Receiving block blk_{} src: {} dest: {}", blockId, src, address);
        long received = 0;
        PacketResponder responder = new PacketResponder(blockId, mirror != null);
        Thread responderThread = new Thread(responder);
        responderThread.start();
        try {
            byte[] packet = new byte[4096];
            int n;
            while ((n = in.read(packet)) != -1) {
                if (n == 0) {
                    logger.debug("Receiving empty packet for block blk_{}", blockId);
                    continue;
                }
                received += n;
                if (mirrorOut != null) {
                    try {
                        mirrorOut.write(packet, 0, n);
                    } catch (IOException e) {
                        logger.warn(address + ":Exception writing block blk_" + blockId + " to mirror " + mirror, e);
                        mirrorOut = null;
                    }
                }
            }
            nameNode.addStoredBlock(blockId, address, received);
            logger.info("Received block blk_{} src: {} dest: {} of size {}", blockId, src, address, received);
        } catch (IOException e) {
            logger.error("writeBlock blk_{} received exception {}", blockId, e.toString());
            throw e;
        } finally {
            responder.close();
        }
    }

    /** Sends a stored block to another datanode, retrying a few times. */
    public void transferBlock(final long blockId, final String target) {
        workers.submit(new Runnable() {
            @Override
            public void run() {
                for (int attempt = 1; attempt <= 3; attempt++) {
                    try {
                        send(blockId, target);
                        logger.info(address + ":Transmitted block blk_" + blockId + " to " + target);
                        return;
                    } catch (IOException e) {
                        logger.warn(address + ":Failed to transfer blk_" + blockId + " to " + target + " got " + e);
                    }
                }
                logger.error("Giving up on transfer of blk_{} after 3 attempts", blockId);
            }
        });
    }

    /** Deletes the given blocks in the background. */
    public void invalidate(long[] blockIds) {
        workers.submit(() -> {
            for (long blockId : blockIds) {
                if (blockId < 0) {
                    logger.warn("Unexpected error trying to delete block blk_{}. BlockInfo not found in volumeMap.",
                            blockId);
                    continue;
                }
                logger.info("Deleting block blk_{} file /data/current/blk_{}", blockId, blockId);
            }
        });
    }

    private void send(long blockId, String target) throws IOException {
        if (target.isEmpty()) {
            throw new IOException("no target for blk_" + blockId);
        }
    }

    /** Acknowledges packets of one block; the last one in the pipeline also reports the block. */
    class PacketResponder implements Runnable {
        private final long blockId;
        private final boolean hasMirror;
        private volatile boolean running = true;

        PacketResponder(long blockId, boolean hasMirror) {
            this.blockId = blockId;
            this.hasMirror = hasMirror;
        }

        void close() {
            running = false;
        }

        public void run() {
            int acks = 0;
            while (running) {
                try {
                    Thread.sleep(10);
                    acks++;
                } catch (InterruptedException e) {
                    logger.info("PacketResponder " + acks + " for block blk_" + blockId + " Interrupted.");
                    break;
                }
            }
            if (!hasMirror) {
                logger.info("Received block blk_" + blockId + " of size " + acks + " from " + address);
            }
            logger.info("PacketResponder " + acks + " for block blk_" + blockId + " terminating");
        }
    }
}
