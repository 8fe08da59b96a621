/// Which kind of rotation to perform.
public enum RotationMode: String, Sendable {
    /// The old active key goes to grace and keeps verifying until its window closes; a pending key, if any, is
    /// promoted. Does nothing if the active key is not yet due.
    case scheduled
    /// As scheduled, but now, due or not (an operator's `keyrotctl rotate`).
    case manual
    /// The old active key is revoked at once and a fresh key is generated.
    case emergency
}
