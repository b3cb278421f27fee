import Foundation

/// A pure decision core (Canary, Rollout, AnalysisRun): from what was observed, and the answers
/// to the queries it asked, to a decision. Deciding twice with the same input gives the same
/// decision; status is the only memory.
public protocol DecisionCore: Sendable {
    /// Everything one decision looks at: the spec, the status as stored, the observed world and
    /// the answers to queries asked so far.
    associatedtype Input: Sendable
    associatedtype Query: Sendable & Hashable
    associatedtype Effect: DeliveryEffect
    associatedtype Status: Sendable & Equatable

    func decide(_ input: Input, now: Date) -> DeliveryDecision<Query, Effect, Status>
    /// The status `input` was read with (nil: never written).
    func storedStatus(_ input: Input) -> Status?
}

/// What a Canary or Rollout decision looks at: the spec, the status as stored, and the world
/// observed (with the answers to the queries asked so far).
public struct DecisionInput<Spec: Sendable, Status: Sendable, World: Sendable>: Sendable {
    public var spec: Spec
    public var status: Status?
    public var world: World

    public init(spec: Spec, status: Status?, world: World) {
        self.spec = spec
        self.status = status
        self.world = world
    }
}

/// An effect on the world. Effects are idempotent: carrying one out twice leaves the world as once.
public protocol DeliveryEffect: Sendable, Hashable {
    /// Carried out before the status write (metadata the status write must not race, such as
    /// adding a finalizer); every other effect follows the status.
    var precedesStatus: Bool { get }
    /// The object may be gone after it (removing the last finalizer), so no status is written.
    var endsObject: Bool { get }
}

extension DeliveryEffect {
    public var precedesStatus: Bool { false }
    public var endsObject: Bool { false }
}

/// The outcome of one decision. When `queries` is not empty the decision holds only them and
/// the old status: the driver answers them and decides again. Otherwise `newStatus` is the
/// intent, `events` describe it and `actions` carry it out.
public struct DeliveryDecision<Query: Sendable & Hashable, Effect: DeliveryEffect, Status: Sendable & Equatable>: Sendable {
    public var newStatus: Status
    public var actions: [Effect]
    public var queries: [Query]
    public var events: [DeliveryEvent]
    /// Look again after this many seconds; nil: wait for a watch event.
    public var requeueAfter: Double?

    public init(newStatus: Status, actions: [Effect] = [], queries: [Query] = [], events: [DeliveryEvent] = [],
                requeueAfter: Double?) {
        self.newStatus = newStatus
        self.actions = actions
        self.queries = queries
        self.events = events
        self.requeueAfter = requeueAfter
    }

    public var needsResults: Bool { !queries.isEmpty }
}

extension DeliveryDecision: Equatable {}
extension DeliveryDecision: Hashable where Status: Hashable {}

/// A Kubernetes Event to record on the object a decision is about.
public struct DeliveryEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable { case normal = "Normal", warning = "Warning" }
    public var type: Kind
    /// CamelCase.
    public var reason: String
    public var message: String

    public init(_ type: Kind, _ reason: String, _ message: String) {
        self.type = type
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(type.rawValue) \(reason): \(message)" }
}

/// How a status write went.
public enum StatusWrite: Sendable {
    case written
    /// A 409 or the object is gone: decide again at once from what the cache holds now.
    case lostRace
    case failed(any Error)
}

/// Where a decision is carried out: the cluster (the controllers) or a simulated cluster (the
/// tests and `serin simulate`). The driver calls it in one order; a world only does I/O.
public protocol DeliveryWorld {
    associatedtype Core: DecisionCore
    /// Answers `queries` (webhooks, metric checks), adding their results to `input`; a throw
    /// ends the pass (nothing written) and it is retried.
    mutating func answer(_ queries: [Core.Query], into input: inout Core.Input, now: Date) async throws
    /// Writes the status through the status subresource (the intent).
    mutating func writeStatus(_ status: Core.Status, input: Core.Input) async -> StatusWrite
    /// Records the decision's events (after its status is written, before its effects).
    mutating func record(_ decision: DeliveryDecision<Core.Query, Core.Effect, Core.Status>, input: Core.Input, now: Date) async
    mutating func perform(_ effect: Core.Effect, input: Core.Input) async throws
    /// Reports an effect that failed (the next look re-derives it from status).
    mutating func report(_ effect: Core.Effect, failed error: any Error, input: Core.Input) async
}

extension DeliveryWorld {
    public mutating func report(_ effect: Core.Effect, failed error: any Error, input: Core.Input) async {}
}

/// What one pass of the driver came to.
public enum DriverOutcome: Sendable {
    /// Done; look again after this many seconds (nil: on a watch event).
    case done(requeueAfter: Double?)
    /// The status write lost a race: look again at once.
    case retryNow
    case failed(any Error)
    /// The core kept asking for answers.
    case undecided
}

/// The one reconcile driver: decide ⇄ answer queries → write status (the intent) → record events
/// → carry out effects in order, stopping at the first failure.
///
/// Why this order: an effect carried out whose status write was then lost (a 409, a crash)
/// would otherwise be decided again from the old status (traffic moved back a step, a
/// rollback undone). The cores are level-based, so from the new status they re-derive any
/// effect that did not happen. Events describe the status just written, whatever happens to
/// the effects next.
public struct DeliveryDriver<Core: DecisionCore>: Sendable {
    public var core: Core
    /// Decide ⇄ answer rounds before giving up (a core needs two or three).
    public var maxRounds: Int

    public init(_ core: Core, maxRounds: Int = 8) {
        self.core = core
        self.maxRounds = maxRounds
    }

    public typealias Decision = DeliveryDecision<Core.Query, Core.Effect, Core.Status>

    /// One pass over `input` in `world`; returns the final decision (nil when undecided) and the outcome.
    public func run<World: DeliveryWorld>(_ input: Core.Input, now: Date, in world: inout World) async
        -> (decision: Decision?, outcome: DriverOutcome) where World.Core == Core {
        var input = input
        var decision = core.decide(input, now: now)
        var rounds = 0
        while decision.needsResults {
            rounds += 1
            if rounds > maxRounds { return (nil, .undecided) }
            do {
                try await world.answer(decision.queries, into: &input, now: now)
            } catch {
                return (nil, .failed(error))
            }
            decision = core.decide(input, now: now)
        }
        let early = decision.actions.filter(\.precedesStatus)
        let late = decision.actions.filter { !$0.precedesStatus }
        if let failure = await perform(early, in: &world, input) { return (decision, failure) }
        if !decision.actions.contains(where: \.endsObject), decision.newStatus != core.storedStatus(input) {
            switch await world.writeStatus(decision.newStatus, input: input) {
            case .written: break
            case .lostRace: return (decision, .retryNow)
            case .failed(let e): return (decision, .failed(e))
            }
        }
        await world.record(decision, input: input, now: now)
        if let failure = await perform(late, in: &world, input) { return (decision, failure) }
        return (decision, .done(requeueAfter: decision.requeueAfter))
    }

    private func perform<World: DeliveryWorld>(_ effects: [Core.Effect], in world: inout World, _ input: Core.Input) async
        -> DriverOutcome? where World.Core == Core {
        for effect in effects {
            do {
                try await world.perform(effect, input: input)
            } catch {
                await world.report(effect, failed: error, input: input)
                return .failed(error)
            }
        }
        return nil
    }
}
