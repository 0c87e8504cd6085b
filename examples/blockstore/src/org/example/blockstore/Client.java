package org.example.blockstore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/** Writes files into the block store: asks the NameNode for blocks and streams them to a DataNode. */
public class Client {
    private static final Log LOG = LogFactory.getLog(Client.class);
    private static final int RETRIES = 3;
    private final NameNode nameNode;
    private final DataNode dataNode;

    public Client(NameNode nameNode, DataNode dataNode) {
        this.nameNode = nameNode;
        this.dataNode = dataNode;
    }

    /** Writes {@code data} to {@code src}, retrying each block a few times. */
    public boolean write(String src, byte[] data, int blockSize) {
        for (int offset = 0; offset < data.length; offset += blockSize) {
            byte[] chunk = Arrays.copyOfRange(data, offset, Math.min(data.length, offset + blockSize));
            boolean written = false;
            int attempt = 0;
            do {
                attempt++;
                try {
                    long blockId = nameNode.allocateBlock(src, 3);
                    dataNode.writeBlock(blockId, "/10.0.0.1:50010", null, new ByteArrayInputStream(chunk), null);
                    written = true;
                } catch (IOException e) {
                    if (attempt >= RETRIES) {
                        LOG.error("Giving up writing " + src + " after " + attempt + " attempts", e);
                        return false;
                    }
                    LOG.warn(String.format("Retrying block of %s (attempt %d of %d)", src, attempt, RETRIES));
                }
            } while (!written);
            if (LOG.isDebugEnabled()) {
                LOG.debug("Wrote " + chunk.length + " bytes of " + src);
            }
        }
        LOG.info("Closed file " + src + " size " + data.length);
        return true;
    }

    public static void main(String[] args) throws Exception {
        NameNode nameNode = new NameNode(Arrays.asList("10.0.0.1:50010", "10.0.0.2:50010"));
        DataNode dataNode = new DataNode("10.0.0.1:50010", nameNode);
        Client client = new Client(nameNode, dataNode);
        switch (args.length) {
            case 0:
                LOG.info("No file given, writing a sample");
                client.write("/sample", new byte[10000], 4096);
                break;
            default:
                client.write(args[0], args[0].getBytes(), 4096);
        }
        NameNode.LOG.info("Client finished");
    }
}
