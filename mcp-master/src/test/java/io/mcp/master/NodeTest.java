package io.mcp.master;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Tests on one {@link TestNode}: a fresh root and a real forker for each test, all cleaned up after it. */
abstract class NodeTest {
    @TempDir Path root;
    TestNode node;

    @BeforeEach
    void startNode() throws Exception {
        node = new TestNode(root).startForker();
    }

    @AfterEach
    void closeNode() {
        node.close();
    }
}
