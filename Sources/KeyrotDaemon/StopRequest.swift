import Synchronization

/// A flag a service's loop checks between steps of work it cannot cancel midway (a pass of transactions): set once
/// when the service is asked to stop.
final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)

    func request() {
        requested.store(true, ordering: .releasing)
    }

    var isRequested: Bool { requested.load(ordering: .acquiring) }
}
