package io.mcp.core.control;

/**
 * What {@code mcpctl} asks of the master over the control socket.
 *
 * @param command {@code services}, {@code cluster-services}, {@code service}, {@code enable},
 *     {@code disable}, {@code status}, {@code events} or {@code mlist}
 * @param service the service named, for the commands that take one
 * @param all include hidden ({@code display="0"}) services in {@code services}
 */
public record ControlRequest(String command, String service, boolean all) {
    public static final String SERVICES = "services";
    /** Every node's state of every service ({@link ClusterServices}). */
    public static final String CLUSTER_SERVICES = "cluster-services";
    public static final String SERVICE = "service";
    public static final String ENABLE = "enable";
    public static final String DISABLE = "disable";
    public static final String STATUS = "status";
    public static final String EVENTS = "events";
    /** The local and master mlists and their differences ({@link MlistReport}). */
    public static final String MLIST = "mlist";

    /** Commands that change something, and so are allowed only to trusted peers. */
    public boolean changing() {
        return ENABLE.equals(command) || DISABLE.equals(command);
    }
}
