/// What one client may take of the control socket.
public struct ControlLimits: Hashable, Sendable {
    /// The largest message, in bytes; a larger one gets an error and its connection is closed.
    public var maximumMessageSize: Int
    /// Connections served at once; more are answered with an error and closed.
    public var maximumConnections: Int
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Duration

    public init(
        maximumMessageSize: Int = 64 * 1024,
        maximumConnections: Int = 256,
        idleTimeout: Duration = .seconds(60)
    ) {
        self.maximumMessageSize = maximumMessageSize
        self.maximumConnections = maximumConnections
        self.idleTimeout = idleTimeout
    }
}
