/// What one client may take of the control socket.
public struct ControlLimits: Hashable, Sendable {
    /// The largest message, in bytes; a larger one gets an error and its connection is closed.
    public var maximumMessageSize: Int
    /// Connections served at once; more are answered with an error and closed.
    public var maximumConnections: Int
    /// A connection that sends nothing for this long is closed, and so is one whose message is not complete this
    /// long after its first byte (a peer dripping bytes cannot keep a connection forever).
    public var idleTimeout: Duration

    /// Connections one uid may hold at once, so one peer cannot take every slot: by default a quarter of
    /// ``maximumConnections`` (at least one).
    public var maximumConnectionsPerUID: Int

    public init(
        maximumMessageSize: Int = 64 * 1024,
        maximumConnections: Int = 256,
        maximumConnectionsPerUID: Int? = nil,
        idleTimeout: Duration = .seconds(60)
    ) {
        self.maximumMessageSize = maximumMessageSize
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerUID = maximumConnectionsPerUID ?? max(1, maximumConnections / 4)
        self.idleTimeout = idleTimeout
    }
}
