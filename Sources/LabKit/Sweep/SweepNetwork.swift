/// A place where a sweep's transfers run: the simulator, the UDP relay or the TUN link.
public protocol SweepNetwork {
    /// Why `labProtocol` cannot be measured on this network (nil when it can), shown in the
    /// report instead of numbers: a protocol that is not measured is never invented.
    func notMeasuredReason(for labProtocol: LabProtocol) -> String?
    /// Runs one transfer and reports it; a failed transfer is a record with `ok == false`.
    func run(_ condition: SweepCondition, repeatNumber: Int, plan: SweepPlan) -> RunRecord
}
