import KeyrotControl

/// Emergency rotations over the control socket (`io.keyrotd.Rotate` with `emergency: true`), one call after the
/// other on one ``KeyrotControl/ControlClient`` connection, as an operator's script would make them.
enum EmergencyRotations {
    /// Rotates the workspaces numbered `indices` (named by ``ScaleDatabase/name(_:)``) through `socket`, giving
    /// `reason`: each call's latency, and the time they all took.
    static func latencies(
        socket: String,
        workspaces indices: some Sequence<Int>,
        reason: String
    ) async throws -> (samples: [Duration], elapsed: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let samples = try await ControlClient.withConnection(to: socket) { client in
            var samples: [Duration] = []
            for index in indices {
                let parameters = KeyrotAPI.RotateParameters(
                    workspace: ScaleDatabase.name(index).rawValue,
                    emergency: true,
                    reason: reason
                )
                let begin = clock.now
                _ = try await client.call("io.keyrotd.Rotate", parameters, returning: KeyrotAPI.EntriesResult.self)
                samples.append(clock.now - begin)
            }
            return samples
        }
        return (samples, clock.now - start)
    }
}
