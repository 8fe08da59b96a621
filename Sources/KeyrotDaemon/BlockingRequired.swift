/// Thrown by a step that would block (a database read, a user lookup, a journal write) while answering a call where
/// blocking is not allowed; the control server then asks the same code again where it is (see
/// ``KeyrotControl/VarlinkService``).
public struct BlockingRequired: Error, Sendable {
    public init() {}
}
