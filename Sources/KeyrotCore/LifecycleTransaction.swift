/// A decision being built: a working copy of the workspace that each step changes as the store will, so a later
/// step sees what an earlier one did (after the active key is revoked there is none), and the changes and audit
/// rows recorded so far.
///
/// The steps here are the lifecycle's moves, each checked against ``KeyState/canTransition(to:)``; the rules that
/// choose among them are in `LifecycleTransaction+Requests.swift`.
struct LifecycleTransaction {
    private(set) var state: WorkspaceState
    private(set) var changes: [LifecycleChange] = []
    private(set) var audit: [AuditRecord] = []
    let now: Timestamp
    private let isKeyIDTaken: (String) -> Bool

    init(_ state: WorkspaceState, at now: Timestamp, isKeyIDTaken: @escaping (String) -> Bool) {
        self.state = state
        self.now = now
        self.isKeyIDTaken = isKeyIDTaken
    }

    var decision: LifecycleDecision {
        LifecycleDecision(changes: changes, audit: audit, result: state)
    }

    mutating func record(_ entry: AuditRecord) {
        audit.append(entry)
    }

    mutating func setPolicy(_ policy: WorkspacePolicy) {
        state.policy = policy
        changes.append(.setPolicy(policy))
    }

    mutating func recordWorkspaceCreation() {
        changes.append(.createWorkspace(state.policy))
    }

    /// Whether `keyID` names a key already, here or in any other workspace, or is reserved for a secret being
    /// created at a provider.
    func isTaken(_ keyID: String) -> Bool {
        state.key(withID: keyID) != nil || state.providerJob(.create, keyID: keyID) != nil || isKeyIDTaken(keyID)
    }

    /// The next generated key id that is free, and its generation.
    func nextFreeKeyID() -> (keyID: String, generation: Int64) {
        var generation = state.nextGeneration
        var keyID = KeyLifecycle.keyID(workspace: state.name, generation: generation)
        while isTaken(keyID) {
            generation += 1
            keyID = KeyLifecycle.keyID(workspace: state.name, generation: generation)
        }
        return (keyID, generation)
    }

    /// Adds a key of the workspace's algorithm at the next generation; a generated key skips any generation whose
    /// id is taken. Returns the key's id.
    mutating func insertKey(
        _ keyState: KeyState,
        material: NewKey.Material,
        keyID requested: String? = nil,
        providerSecretID: String? = nil
    ) -> String {
        let (keyID, generation) = requested.map { ($0, state.nextGeneration) } ?? nextFreeKeyID()
        let key = NewKey(
            keyID: keyID,
            generation: generation,
            algorithm: state.policy.algorithm,
            state: keyState,
            material: material,
            providerSecretID: providerSecretID
        )
        state.nextGeneration = generation + 1
        state.keys.append(
            KeyRecord(
                workspace: state.name,
                keyID: keyID,
                algorithm: key.algorithm,
                state: keyState,
                createdAt: now,
                activatedAt: keyState == .active ? now : nil,
                providerSecretID: providerSecretID
            )
        )
        changes.append(.insertKey(key))
        return keyID
    }

    mutating func activate(pending keyID: String) {
        let now = now
        move(keyID, to: .active) { $0.activatedAt = now }
        changes.append(.activate(keyID: keyID))
    }

    mutating func demoteToGrace(_ active: KeyRecord) {
        let end = KeyLifecycle.graceUntil(
            now: now,
            grace: state.policy.grace,
            tokensValidUntil: active.tokensValidUntil
        )
        move(active.keyID, to: .grace) { $0.graceUntil = end }
        changes.append(.demoteToGrace(keyID: active.keyID, graceUntil: end))
    }

    mutating func revoke(_ keyID: String, leaked: Bool) {
        move(keyID, to: .revoked) { $0.leaked = leaked }
        changes.append(.revoke(keyID: keyID, leaked: leaked))
    }

    mutating func markLeaked(_ keyID: String) {
        guard let index = state.keys.firstIndex(where: { $0.keyID == keyID }) else { return }
        state.keys[index].leaked = true
        changes.append(.markLeaked(keyID: keyID))
    }

    mutating func retire(_ keyID: String) {
        move(keyID, to: .retired) { _ in }
        changes.append(.retire(keyID: keyID))
    }

    mutating func addProviderJob(_ job: ProviderJob) {
        state.providerJobs.append(job)
        changes.append(.addProviderJob(job))
    }

    mutating func updateProviderJob(_ job: ProviderJob) {
        guard let index = state.providerJobs.firstIndex(where: { $0.kind == job.kind && $0.keyID == job.keyID })
        else { preconditionFailure("the lifecycle changed a provider job its workspace does not have") }
        state.providerJobs[index] = job
        changes.append(.updateProviderJob(job))
    }

    mutating func removeProviderJob(_ kind: ProviderJob.Kind, keyID: String) {
        state.providerJobs.removeAll { $0.kind == kind && $0.keyID == keyID }
        changes.append(.removeProviderJob(kind: kind, keyID: keyID))
    }

    /// Moves a key of the working copy to `next`; the rules only ask for moves the lifecycle allows.
    private mutating func move(_ keyID: String, to next: KeyState, _ update: (inout KeyRecord) -> Void) {
        guard let index = state.keys.firstIndex(where: { $0.keyID == keyID }) else {
            preconditionFailure("the lifecycle moved key \(keyID), which its workspace does not have")
        }
        precondition(state.keys[index].state.canTransition(to: next), "\(state.keys[index].state) -> \(next)")
        state.keys[index].state = next
        update(&state.keys[index])
    }
}
